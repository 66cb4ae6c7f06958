# Sensitivity moves from one membership to the address and the period it covers (issue 14).

from datetime import date, timedelta

from django.db import migrations, models

#: as linkage: stays within a year of a marked one count as living there at the same time
SLACK = timedelta(days=365)


def periods_from_marked_memberships(apps, schema_editor):
    """Keep every address linkage had marked, protecting everyone who lived there then.

    Until the next linkage run rebuilds them properly, each marked membership
    becomes a period over every membership at the same home (same key as
    linkage's) within a year of it, so no address that was protected is left
    unprotected in between.
    """
    from famlink.core.linkage.addresses import address_key

    membership = apps.get_model("family", "HouseholdMembership")
    sensitive = apps.get_model("family", "SensitiveAddress")

    def key(m):
        return address_key(m.address, m.postcode) or f"{m.postcode}|{m.address}"

    marked = list(membership.objects.filter(sensitive_address=True).order_by("pk"))
    at = {key(m): [] for m in marked}
    for m in membership.objects.order_by("pk").iterator(chunk_size=20000):
        if key(m) in at:
            at[key(m)].append(m)
    for one in marked:
        lo = (one.from_date or date.min + SLACK) - SLACK
        hi = (one.to_date or date.max - SLACK) + SLACK
        there = [m for m in at[key(one)] if (m.from_date or date.min) <= hi and (m.to_date or date.max) >= lo]
        period = sensitive.objects.create(
            key=key(one), address=one.address, postcode=one.postcode,
            from_date=min(m.from_date or date.min for m in there), to_date=max(m.to_date or date.max for m in there))
        period.protects.set({m.person_id for m in there})


class Migration(migrations.Migration):

    dependencies = [
        ('family', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SensitiveAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.TextField(db_index=True, help_text='Postcode and cleaned address, as linkage compares homes.')),
                ('address', models.CharField(blank=True, max_length=300)),
                ('postcode', models.CharField(blank=True, max_length=10)),
                ('from_date', models.DateField()),
                ('to_date', models.DateField()),
                ('protects', models.ManyToManyField(related_name='sensitive_addresses', to='family.person')),
            ],
        ),
        migrations.RunPython(periods_from_marked_memberships, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='householdmembership',
            name='sensitive_address',
        ),
    ]
