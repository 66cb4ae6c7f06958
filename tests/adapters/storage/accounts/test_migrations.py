"""Upgrading gives each member of staff one role: the policy's, or their account's when the policy had none."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("accounts", "0002_api_call_count"), ("governance", "0003_audit_witness_and_tree_tiles")]
AFTER = [("accounts", "0003_role_lives_on_staff_actor")]


def _migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_each_member_of_staff_keeps_one_role_and_going_back_restores_the_accounts() -> None:
    old = _migrate(BEFORE)
    users, account = old.get_model("auth", "User"), old.get_model("accounts", "Account")
    staff_actor = old.get_model("governance", "StaffActor")
    parent, unauthorised, disagreeing = (users.objects.create(username=n) for n in ("pat", "una", "dee"))
    account.objects.create(user=parent, kind="parent", role="parent")
    account.objects.create(user=unauthorised, kind="staff", role="data_team")
    account.objects.create(user=disagreeing, kind="staff", role="data_team")
    staff_actor.objects.create(user=disagreeing, role="practitioner", purposes=["service.direct_delivery"])
    try:
        new = _migrate(AFTER)
        actors = {a.user.username: a for a in new.get_model("governance", "StaffActor").objects.select_related("user")}
        assert set(actors) == {"una", "dee"}  # a parent gets no staff role
        assert (actors["una"].role, actors["una"].purposes) == ("data_team", [])  # pages kept, the door still says no
        assert (actors["dee"].role, actors["dee"].purposes) == ("practitioner", ["service.direct_delivery"])
        assert "role" not in {f.name for f in new.get_model("accounts", "Account")._meta.get_fields()}

        back = _migrate(BEFORE)
        roles = dict(back.get_model("accounts", "Account").objects.values_list("user__username", "role"))
        assert roles == {"pat": "parent", "una": "data_team", "dee": "practitioner"}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
