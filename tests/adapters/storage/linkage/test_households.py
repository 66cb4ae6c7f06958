"""Households from where people lived: a sensitive address covers a period and everyone who lived there."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from famlink.adapters.storage.family.models import HouseholdMembership, Person, SensitiveAddress
from famlink.adapters.storage.linkage.households import rebuild_households
from famlink.adapters.storage.linkage.models import LinkageRun
from famlink.core.linkage.addresses import address_key
from tests.common import builders
from tests.common.refuge import refuge_family

pytestmark = pytest.mark.django_db


def test_a_refuge_protects_everyone_who_lived_there_and_not_the_parent_they_left() -> None:
    fam = refuge_family("Period", children=3, went=2)
    refuge = SensitiveAddress.objects.get()
    assert refuge.key == address_key(f"{fam.refuge_line}, Riverside", fam.refuge_postcode)
    assert set(refuge.protects.all()) == {fam.mother, *fam.went}  # only the tenancy was marked
    assert fam.father not in refuge.protects.all() and fam.children[2] not in refuge.protects.all()
    for record in fam.refuge_records:  # the children's records there, marked or not, are in the period
        assert refuge.from_date <= record.event_date <= refuge.to_date
    at_refuge = HouseholdMembership.objects.filter(postcode=fam.refuge_postcode)
    assert {m.person for m in at_refuge} == {fam.mother, *fam.went}
    assert all(refuge.from_date <= m.from_date and m.to_date <= refuge.to_date for m in at_refuge)


def test_a_record_left_behind_after_they_moved_on_is_in_the_period() -> None:
    fam = refuge_family("Stale", stale_after_leaving=True)
    refuge = SensitiveAddress.objects.get()
    assert refuge.to_date >= fam.left + timedelta(days=90)


def test_the_next_people_to_live_there_years_later_are_not_covered() -> None:
    fam = refuge_family("Later", fled_days_ago=3000)
    later = Person.objects.create(display_name="Next Tenant")
    src = builders.source("housing")
    for days in (0, 200):
        builders.record(src, later, category="housing.tenancy", surname="Tenant", date_of_birth=date(1970, 1, 1),
                        address=f"{fam.refuge_line}, Riverside", postcode=fam.refuge_postcode,
                        event_date=fam.left + timedelta(days=3 * 365 + days))
    rebuild_households(LinkageRun.objects.get())
    refuge = SensitiveAddress.objects.get()
    assert later not in refuge.protects.all()
    assert refuge.to_date < fam.left + timedelta(days=3 * 365)


def test_a_marked_record_without_a_date_makes_every_stay_there_sensitive() -> None:
    fam = refuge_family("Undated")
    tenancy = next(r for r in fam.refuge_records if r.sensitive)
    tenancy.event_date = None
    tenancy.save(update_fields=["event_date"])
    rebuild_households(LinkageRun.objects.get())
    refuge = SensitiveAddress.objects.get()
    assert set(refuge.protects.all()) == {fam.mother, *fam.went}  # her other record there, and theirs


def test_without_a_marked_record_no_address_is_sensitive() -> None:
    person = Person.objects.create(display_name="Plain Home", date_of_birth=date(1990, 1, 1))
    builders.record(builders.source("housing"), person, category="housing.tenancy", surname="Home",
                    date_of_birth=person.date_of_birth, address="1 Plain Street", postcode="LS1 1AA",
                    event_date=timezone.localdate() - timedelta(days=100))
    summary = rebuild_households(LinkageRun.objects.get())
    assert summary["sensitive_addresses"] == 0 and not SensitiveAddress.objects.exists()
