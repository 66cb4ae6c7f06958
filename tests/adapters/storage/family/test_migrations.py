"""Upgrading keeps every address that was marked sensitive protected until linkage runs again."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from famlink.core.linkage.addresses import address_key

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("family", "0001_initial")]
AFTER = [("family", "0002_sensitive_address_periods")]


def _migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_marked_membership_becomes_a_period_protecting_everyone_there_then() -> None:
    old = _migrate(BEFORE)
    person, household = old.get_model("family", "Person"), old.get_model("family", "Household")
    membership = old.get_model("family", "HouseholdMembership")
    mum, child, later = (person.objects.create(public_id=p) for p in ("PMUM", "PCHILD", "PLATER"))
    home = household.objects.create(public_id="HREFUGE")
    membership.objects.create(household=home, person=mum, role="adult", address="7 Quiet Lane", postcode="LS9 9QQ",
                              sensitive_address=True, from_date=date(2023, 1, 1), to_date=date(2023, 2, 1))
    membership.objects.create(household=home, person=child, role="child", address="7 QUIET LANE.", postcode="ls99qq",
                              from_date=date(2023, 1, 20), to_date=date(2023, 6, 1))
    membership.objects.create(household=household.objects.create(public_id="HLATER"), person=later, role="adult",
                              address="7 Quiet Lane", postcode="LS9 9QQ", from_date=date(2027, 1, 1))
    try:
        new = _migrate(AFTER)
        period = new.get_model("family", "SensitiveAddress").objects.get()
        assert period.key == address_key("7 Quiet Lane", "LS9 9QQ")
        assert (period.from_date, period.to_date) == (date(2023, 1, 1), date(2023, 6, 1))
        assert {p.public_id for p in period.protects.all()} == {"PMUM", "PCHILD"}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
