"""The README's demo: a refuge family, with a sign-in on each side (issue 14)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pyotp
import pytest
from django.test import Client

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Relationship, SensitiveAddress
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.adapters.storage.sources.models import Source
from famlink.core.audit import signing_key
from famlink.core.audit.runs import check_run_proof
from famlink.core.policy import REASON_TEXT
from famlink.core.roles import StaffJob
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.accounts.provisioning import DEMO_STAFF
from famlink.services.demo import (
    DEMO_PARENTS,
    LEAD,
    PRACTITIONERS,
    REFUGE_PARENTS,
    DemoSummary,
    prepare_demo,
)
from famlink.services.linkage.run import latest_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ALL_CATEGORIES = ",".join(c.value for c in DataCategory)
SUBJECT_ACCESS = Purpose.SUBJECT_ACCESS.value  # a parent reads the records API to see what is held


def test_the_demo_signs_in_a_refuge_mother_and_the_father_she_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FAMLINK_CONSENT_MODELS", raising=False)  # the default: matching across services needs a yes
    summary = prepare_demo(tmp_path / "demo", families=100)
    assert [a["username"] for a in summary.accounts] == [
        "parent1", "parent2", *REFUGE_PARENTS, *(m.username for m in DEMO_STAFF)]
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
        answer = client.get(f"/api/persons/{child.public_id}/records", {"categories": "contact", "purpose": SUBJECT_ACCESS})
        assert answer.status_code == 200 and child.display_name in page
        assert (line in page) is sees and (line in json.dumps(json.loads(answer.content))) is sees
    _the_corrected_appointment_shows_everywhere_as_its_new_version(summary)
    _every_demo_parent_sees_the_matching_run_with_a_proof_that_verifies(tmp_path)
    _a_parent_who_did_not_say_yes_sees_their_records_from_different_services_unmatched(tmp_path, summary)
    _the_accounts_file_signs_each_member_of_staff_in_with_a_code(tmp_path)
    _the_practitioners_hold_the_demo_families_and_are_alerted(summary)
    _a_practitioner_opens_a_consenting_family_and_reads_its_chronology_with_the_parents_words(tmp_path)
    _a_family_that_never_answered_shows_nothing_but_the_break_glass_the_demo_took(tmp_path)
    again = prepare_demo(tmp_path / "demo", families=100)
    assert again.accounts == summary.accounts and not again.correction  # run again: no change, no second request
    assert json.loads((tmp_path / "demo-accounts.json").read_text()) == summary.accounts


def _the_accounts_file_signs_each_member_of_staff_in_with_a_code(tmp_path: Path) -> None:
    """demo-accounts.json: one of each job and the parents; a code made from a staff secret passes the real forms."""
    entries = json.loads((tmp_path / "demo-accounts.json").read_text())
    assert all(set(e) == {"role", "username", "password", "person_id", "totp_secret"} for e in entries)
    staff = [e for e in entries if e["role"] != "parent"]
    assert sorted(e["role"] for e in staff) == sorted(job.value for job in StaffJob)
    assert all(e["totp_secret"] is None and e["person_id"] for e in entries if e["role"] == "parent")
    for entry in staff:
        client = Client()
        held = client.post("/sign-in/", {"username": entry["username"], "password": entry["password"]})
        assert held["Location"] == "/sign-in/security-code/", entry["username"]
        done = client.post("/sign-in/security-code/", {"code": pyotp.TOTP(entry["totp_secret"]).now()})
        assert done["Location"] == "/team/", entry["username"]
        assert client.get("/team/").status_code == 200


def _signed_in(tmp_path: Path, username: str) -> Client:
    """A demo member of staff, signed in (their password and code passed the real forms above; a code works once)."""
    from famlink.adapters.storage.governance.models import StaffActor
    from tests.common.builders import signed_in_staff

    return signed_in_staff(Client(), StaffActor.objects.get(user__username=username))


def _a_practitioner_opens_a_consenting_family_and_reads_its_chronology_with_the_parents_words(tmp_path: Path) -> None:
    """The issue's walk-through: sign in with password and code, state a purpose and a case reference, open
    parent1's child, and read a chronology with a source on every line and parent1's statement beside its record."""
    from famlink.services.demo_workspace import STATEMENT

    child = RightsRequest.objects.get(requested_by__username="parent1", kind="request:context").subject
    worker = _signed_in(tmp_path, "socialworker")
    assert worker.get(f"/workspace/families/{child.public_id}/")["Location"].endswith("/open/")  # purpose first
    opened = worker.post(f"/workspace/families/{child.public_id}/open/",
                         {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value, "case_reference": "DEMO-README-1"})
    assert opened.status_code == 302, opened.content.decode()[:500]
    page = worker.get(f"/workspace/families/{child.public_id}/chronology/").content.decode()
    assert child.display_name in page and STATEMENT.split(".")[0] in page
    rows = re.findall(r'<tr class="govuk-table__row famlink-chronology-line">(.*?)</tr>', page, re.S)
    organisations = {s.organisation.name for s in Source.objects.select_related("organisation")}
    assert rows and all(any(name in row for name in organisations) for row in rows), "a source on every line"


def _a_family_that_never_answered_shows_nothing_but_the_break_glass_the_demo_took(tmp_path: Path) -> None:
    """parent2 never answered: direct delivery is refused with the policy's reason (no consent, or, for a
    child whose records only children's social care or the police hold, a source that did not share for it); the demo's break-glass was approved,
    parent2 was told in the portal, and the reviewer has it to review."""
    from famlink.adapters.storage.governance.models import BreakGlassAuthorisation
    from famlink.adapters.storage.rights.models import Message

    authorisation = BreakGlassAuthorisation.objects.get()
    assert authorisation.parent_told_at is not None
    assert Message.objects.filter(to__username="parent2").exists()
    queue = _signed_in(tmp_path, "reviewer").get("/workspace/reviews/").content.decode()
    assert f"/workspace/reviews/{authorisation.pk}/" in queue
    child = authorisation.subject
    refused = _signed_in(tmp_path, "socialworker").post(
        f"/workspace/families/{child.public_id}/open/",
        {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value, "case_reference": "DEMO-README-2"})
    page = html.unescape(refused.content.decode())
    assert refused.status_code in (400, 403) and child.display_name not in page
    assert any(text in page for text in REASON_TEXT.values()), "the refusal says why, in the policy's words"


def _the_practitioners_hold_the_demo_families_and_are_alerted(summary: DemoSummary) -> None:
    """Each practitioner holds parent1's and parent2's children, the social worker leads; the demo's
    correction, when it is about one of those families, leaves them an alert to acknowledge."""
    from famlink.adapters.storage.workspace.models import Alert, CaseAllocation

    parents = [Account.objects.get(user__username=name).person for name in DEMO_PARENTS]
    children = set(Relationship.objects.filter(from_person__in=parents, kind="parent_of", parental_responsibility=True)
                   .values_list("to_person_id", flat=True))
    assert summary.caseload == len(children) > 0
    for username in PRACTITIONERS:
        held = CaseAllocation.objects.filter(staff__user__username=username, to_date__isnull=True)
        assert set(held.values_list("person_id", flat=True)) == children, username
        assert all((a.part == "lead") is (username == LEAD) for a in held)
    assert all(a.contact for a in CaseAllocation.objects.filter(staff__user__username=LEAD))
    corrected = summary.correction.split(" ")[0]
    if corrected in DEMO_PARENTS:
        for username in PRACTITIONERS:
            kinds = set(Alert.objects.filter(staff__user__username=username, acknowledged_at__isnull=True)
                        .values_list("kind", flat=True))
            assert {"dispute", "record_corrected"} <= kinds, username


def _the_corrected_appointment_shows_everywhere_as_its_new_version(summary: DemoSummary) -> None:
    """A demo parent reported a "did not attend" the hospital had cancelled; the data team corrected it (issue
    16, item 5): the records API shows the new version only, with its new status and the old one as history."""
    username = summary.correction.split(" ")[0]
    assert username.startswith("parent") and " reported a missed appointment" in summary.correction
    parent = Account.objects.get(user__username=username)
    request = RightsRequest.objects.get(requested_by=parent.user)
    old, new = request.record, request.corrected_record
    assert new is not None and new.supersedes_id == old.pk and new.status == "cancelled_by_provider"
    client = Client()
    client.force_login(parent.user)
    subject = request.subject.public_id
    records = json.loads(client.get(f"/api/persons/{subject}/records", {"purpose": SUBJECT_ACCESS}).content)["records"]
    shown = [r for r in records if (r["source"], r["local_id"]) == (old.source.name, old.local_id)]
    assert len(shown) == 1, "one record, not the old and the new version side by side"
    assert shown[0]["version"] == new.version and shown[0]["status"] == "cancelled_by_provider"
    assert [h["status"] for h in shown[0]["history"]] == ["did_not_attend"]


def _every_demo_parent_sees_the_matching_run_with_a_proof_that_verifies(tmp_path: Path) -> None:
    run = latest_run()
    assert run is not None
    key = signing_key(tmp_path).public_key()
    for name in (*DEMO_PARENTS, *REFUGE_PARENTS):
        account = Account.objects.get(user__username=name)
        client = Client()
        client.force_login(account.user)
        page = client.get("/portal/access-log/").content.decode()
        assert "Your records were matched on" in page, name
        links = re.findall(r'href="(/portal/access-log/runs/(\d+)/([^/"]+)/proof.json)"', page)
        assert (f"/portal/access-log/runs/{run.pk}/{account.person.public_id}/proof.json", str(run.pk),
                account.person.public_id) in links, name
        for url, run_id, person in links:
            proof = json.loads(client.get(url).content)
            assert check_run_proof(proof, key, person=person, run=int(run_id)).ok, (name, url)


def _a_parent_who_did_not_say_yes_sees_their_records_from_different_services_unmatched(
    tmp_path: Path, summary: DemoSummary,
) -> None:
    """The demo simulates the research's answers; parent1 said yes, parent2 never answered."""
    import csv

    from famlink.adapters.storage.linkage.models import RecordAssignment
    from famlink.services.demo_answers import said_yes

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
        answer = client.get(f"/api/persons/{person.public_id}/records", {"categories": ALL_CATEGORIES, "purpose": SUBJECT_ACCESS})
        shown = {sector_of[r["source"]] for r in json.loads(answer.content)["records"]}
        assert answer.status_code == 200 and shown
        assert (len(shown) > 1) is matched
