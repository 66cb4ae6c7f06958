"""A member of staff has one role: the policy's (``StaffActor.role``); ``Account.role`` goes.

Before this, the page guards read ``Account.role`` and the policy door read
``StaffActor.role``, and the two could disagree. Copying before the column
goes:

- a staff account with no ``StaffActor`` gets one with the account's role and
  no purposes, so the pages it could open stay open, and the door still lets
  it read nothing (as before, when the policy saw it as the public);
- a staff account whose ``StaffActor`` says another role keeps the
  ``StaffActor``'s: every read of personal data was decided with that role,
  and the pages now follow it.

Going back puts each account's role back from the same rows.
"""

from django.db import migrations, models


def copy_roles_to_staff_actors(apps, schema_editor):  # type: ignore[no-untyped-def]
    account_model = apps.get_model("accounts", "Account")
    staff_actor_model = apps.get_model("governance", "StaffActor")
    for account in account_model.objects.filter(kind="staff").order_by("pk"):
        staff_actor_model.objects.get_or_create(user_id=account.user_id,
                                                defaults={"role": account.role, "purposes": []})


def copy_roles_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    account_model = apps.get_model("accounts", "Account")
    staff_actor_model = apps.get_model("governance", "StaffActor")
    roles = dict(staff_actor_model.objects.values_list("user_id", "role"))
    for account in account_model.objects.order_by("pk"):
        account.role = "parent" if account.kind == "parent" else roles.get(account.user_id, "")
        account.save(update_fields=["role"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_api_call_count"),
        ("governance", "0003_audit_witness_and_tree_tiles"),
    ]

    operations = [
        # a default first, so that going back can add the column again to existing rows
        migrations.AlterField(model_name="account", name="role", field=models.CharField(
            default="", max_length=30, help_text="A famlink.core.roles.Role value.")),
        migrations.RunPython(copy_roles_to_staff_actors, copy_roles_back),
        migrations.RemoveField(model_name="account", name="role"),
    ]
