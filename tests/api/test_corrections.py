"""A correction reaches the records API at once: the new version only, with what was said before.

The portal's side is in tests/web/test_corrections.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance import actors, holdings
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from tests.common import builders
from tests.common.builders import give_consent

pytestmark = pytest.mark.django_db


def _correct(fam: builders.Family, record: SourceRecord, statement: str, status: str) -> SourceRecord:
    """The mother reports ``record`` wrong; the data team corrects it to ``status``."""
    if not Account.objects.filter(user__username="mum").exists():
        create_parent("mum", fam.mother, password="not-a-real-password-1")
    mum = Account.objects.get(user__username="mum").user
    made = requests.report(actors.actor_for(mum), mum, fam.child, record.pk, "request:rectification", statement)
    return builders.team_corrects(made.reference, "Checked with the GP", requests.Correction(status=status))


def _api_records(fam: builders.Family) -> list[dict[str, object]]:
    client = Client()
    client.force_login(builders.staff(name=f"prac{SourceRecord.objects.count()}").user)
    answer = client.get(f"/api/persons/{fam.child.public_id}/records",
                        {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
    assert answer.status_code == 200
    return json.loads(answer.content)["records"]  # type: ignore[no-any-return]


@pytest.fixture
def fam() -> builders.Family:
    fam = builders.family("Fix")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    return fam


def test_after_a_correction_the_api_shows_only_the_new_version_of_the_same_person_with_its_history(
        fam: builders.Family) -> None:
    old = builders.record(holdings.linked_records(fam.child).first().source, fam.child, status="did_not_attend")
    new = _correct(fam, old, "We went to this appointment", "attended")

    shown = [r for r in _api_records(fam) if r["local_id"] == old.local_id]
    assert [(r["version"], r["status"], r["disputed"]) for r in shown] == [(2, "attended", False)]
    assert [s["statement"] for s in shown[0]["statements"]] == ["We went to this appointment"]  # kept as history
    assert [(h["version"], h["status"], h["replaced_because"]) for h in shown[0]["history"]] == [
        (1, "did_not_attend", "Checked with the GP")]
    assert list(holdings.linked_records(fam.child).filter(local_id=old.local_id)) == [new]


def test_a_correction_of_a_correction_leaves_only_the_third_version(fam: builders.Family) -> None:
    source = holdings.linked_records(fam.child).first().source
    first = builders.record(source, fam.child, status="did_not_attend")
    second = _correct(fam, first, "We went to this appointment", "cancelled_by_provider")
    third = _correct(fam, second, "It was cancelled by the hospital, then we went", "attended")

    shown = [r for r in _api_records(fam) if r["local_id"] == first.local_id]
    assert [(r["version"], r["status"]) for r in shown] == [(3, "attended")]
    assert [(h["version"], h["status"]) for h in shown[0]["history"]] == [
        (2, "cancelled_by_provider"), (1, "did_not_attend")]
    assert [s["statement"] for s in shown[0]["statements"]] == [  # newest version's first
        "It was cancelled by the hospital, then we went", "We went to this appointment"]
    assert list(holdings.linked_records(fam.child).filter(local_id=first.local_id)) == [third]
