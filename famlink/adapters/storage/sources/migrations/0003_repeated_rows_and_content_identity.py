import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


def content_as_the_bytes(apps, schema_editor):
    """Extracts ingested before: their content is known only as their bytes (no two the same per source)."""
    Extract = apps.get_model("sources", "Extract")
    Extract.objects.update(content_sha256=models.F("file_sha256"))


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0002_records_only_queried_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='RepeatedRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('row_number', models.PositiveIntegerField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='extract',
            name='extract_once_per_source',
        ),
        migrations.AddField(
            model_name='extract',
            name='content_sha256',
            field=models.CharField(default='', help_text='SHA-256 of what the file says (docs/sources.md: extracts sent again): a file with the same content is this extract, already ingested.', max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(content_as_the_bytes, migrations.RunPython.noop),
        migrations.AddField(
            model_name='extract',
            name='repeated',
            field=models.PositiveIntegerField(default=0, help_text='Accepted rows that are records already held (same source, local id and content).'),
        ),
        migrations.AddField(
            model_name='extract',
            name='updated',
            field=models.PositiveIntegerField(default=0, help_text='Accepted rows stored as the next version of a record already held (same local id, other content).'),
        ),
        migrations.AlterField(
            model_name='extract',
            name='file_sha256',
            field=models.CharField(help_text="SHA-256 of the file's bytes, as received.", max_length=64),
        ),
        migrations.AlterField(
            model_name='sourcerecord',
            name='note',
            field=models.TextField(blank=True, help_text='At most 10,000 characters: ingest quarantines a longer one.'),
        ),
        migrations.AlterField(
            model_name='sourcerecord',
            name='row_checksum',
            field=models.CharField(help_text="SHA-256 of the row's cells as supplied, spaces around each aside: with the source and local id, what makes a row sent again the same record.", max_length=64),
        ),
        migrations.AddIndex(
            model_name='sourcerecord',
            index=models.Index(fields=['local_id', 'source'], name='record_key'),
        ),
        migrations.AddConstraint(
            model_name='extract',
            constraint=models.UniqueConstraint(fields=('source', 'content_sha256'), name='extract_content_once_per_source'),
        ),
        migrations.AddConstraint(
            model_name='extract',
            constraint=models.CheckConstraint(condition=models.Q(('accepted__gte', django.db.models.expressions.CombinedExpression(models.F('repeated'), '+', models.F('updated')))), name='extract_repeats_and_updates_accepted'),
        ),
        migrations.AddField(
            model_name='repeatedrow',
            name='extract',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='repeats', to='sources.extract'),
        ),
        migrations.AddField(
            model_name='repeatedrow',
            name='record',
            field=models.ForeignKey(db_index=False, help_text="The record's version current when the row arrived.", on_delete=django.db.models.deletion.PROTECT, related_name='repeats', to='sources.sourcerecord'),
        ),
        migrations.AddConstraint(
            model_name='repeatedrow',
            constraint=models.UniqueConstraint(fields=('extract', 'row_number'), name='repeat_row_once'),
        ),
    ]
