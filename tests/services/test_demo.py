"""The README's demo: a refuge family, with a sign-in on each side (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Relationship, SensitiveAddress
from famlink.adapters.storage.sources.models import Source
from famlink.core.taxonomy import DataCategory
from famlink.services.demo import REFUGE_PARENTS, prepare_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ALL_CATEGORIES = ",".join(c.value for c in DataCategory)


def test_the_demo_signs_in_a_refuge_mother_and_the_father_she_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    summary = prepare_demo(tmp_path / "demo", families=100)
    assert [a["username"] for a in summary.accounts] == ["parent1", "parent2", *REFUGE_PARENTS, "datateam"]
    mum, dad = (Account.objects.get(user__username=name) for name in REFUGE_PARENTS)
    refuge = SensitiveAddress.objects.filter(protects=mum.person).first()
    assert refuge is not None and not refuge.protects.filter(pk=dad.person.pk).exists()
    theirs = set(Relationship.objects.filter(from_person=mum.person, kind="parent_of").values_list("to_person", flat=True))
    child = refuge.protects.filter(pk__in=theirs, relationships_to__from_person=dad.person).first()
    assert child is not None, "a child who lived there with her, and whose father he is"
    line = refuge.address.split(",")[0]
    for account, sees in ((mum, True), (dad, False)):
        client = Client()
        client.force_login(account.user)
        page = client.get("/portal/records/").content.decode()
        answer = client.get(f"/api/persons/{child.public_id}/records", {"categories": "contact"})
        assert answer.status_code == 200 and child.display_name in page
        assert (line in page) is sees and (line in json.dumps(json.loads(answer.content))) is sees
    assert prepare_demo(tmp_path / "demo", families=100).accounts == summary.accounts  # run again: no change


def test_a_parent_who_did_not_say_yes_sees_their_records_from_different_services_unmatched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo simulates the research's answers; parent1 said yes, parent2 never answered."""
    import csv

    from famlink.adapters.storage.linkage.models import RecordAssignment
    from famlink.services.demo_answers import said_yes
    from famlink.services.linkage.run import latest_run

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FAMLINK_CONSENT_MODELS", raising=False)
    summary = prepare_demo(tmp_path / "demo", families=100)
    assert summary.answers["yes"] > 0 and summary.answers["no"] > 0 and summary.answers["no answer"] > 0
    with (tmp_path / "demo" / "truth.csv").open(encoding="utf-8") as fh:
        truth = {(r["source"], r["record_key"]): r["person_id"] for r in csv.DictReader(fh)}
    rows = list(RecordAssignment.objects.filter(run=latest_run()).values_list(
        "record__source__name", "record__local_id", "record__source__organisation__sector", "person_id"))
    yes, unanswered = (Account.objects.get(user__username=name).person for name in ("parent1", "parent2"))
    assert said_yes(yes) is True and said_yes(unanswered) is None

    def sectors(person_pk: int) -> set[str]:
        return {sector for _source, _local, sector, pk in rows if pk == person_pk}

    assert len(sectors(yes.pk)) >= 2  # matched across services
    assert len(sectors(unanswered.pk)) == 1
    humans = {truth[(s, local)] for s, local, _sector, pk in rows if pk == unanswered.pk}
    elsewhere = {sector for s, local, sector, pk in rows if truth.get((s, local)) in humans and pk != unanswered.pk}
    assert elsewhere - sectors(unanswered.pk), "their records in other services exist, kept apart"
    # what each parent sees of their own records, through the portal's API
    sector_of = dict(Source.objects.values_list("name", "organisation__sector"))
    for name, person, matched in (("parent1", yes, True), ("parent2", unanswered, False)):
        client = Client()
        client.force_login(Account.objects.get(user__username=name).user)
        answer = client.get(f"/api/persons/{person.public_id}/records", {"categories": ALL_CATEGORIES})
        shown = {sector_of[r["source"]] for r in json.loads(answer.content)["records"]}
        assert answer.status_code == 200 and shown
        assert (len(shown) > 1) is matched
