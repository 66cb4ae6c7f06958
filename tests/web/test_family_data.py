"""The portal's read pages: what a parent sees, through the checking client."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from famlink import config
from famlink.adapters import pdf
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance import actors, holdings
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import AuditLogEntry, NotificationWithholding
from famlink.adapters.storage.registers.models import FlagNotice, ScoringRun
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.audit import (
    AuditEvent,
    AuditFacts,
    InclusionProof,
    Verdict,
    leaf_hash,
    signing_key,
)
from famlink.core.audit.runs import check_run_proof
from famlink.core.linkage.consent import PersonLinkageOutcome
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.rights import requests
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> builders.Family:
    return builders.family("Page")


@pytest.fixture
def mum(family: builders.Family, checking_client: CheckingClient) -> CheckingClient:
    create_parent("page-mum", family.mother, password="not-a-real-password-1")
    return sign_in_as(checking_client, Account.objects.get(user__username="page-mum"))  # type: ignore[return-value]


def test_records_page_lists_the_family_by_person_and_organisation(family: builders.Family, mum: CheckingClient) -> None:
    page = mum.get("/portal/records/").content.decode()
    assert "note about Mother Page" in page and "note about Child Page" in page
    assert "Kept until" in page and "Where it came from" in page
    assert "note about Father Page" not in page and "sensitive note Page" not in page


def test_a_disputed_record_shows_the_parents_words_on_the_records_page(family: builders.Family, mum: CheckingClient) -> None:
    user = User.objects.get(username="page-mum")
    record = next(r for r in holdings.linked_records(family.child) if not r.sensitive)
    requests.report(actors.actor_for(user), user, family.child, record.pk, "request:rectification", "We were never told")
    page = mum.get("/portal/records/").content.decode()
    assert "Disputed" in page and "We were never told" in page


def test_access_log_shows_others_with_child_protection_reasons_and_offers_proofs(family: builders.Family, mum: CheckingClient) -> None:
    facts = AuditFacts(
        actor_id="sw-jones", actor_role="practitioner", organisation="Children's Services",
        purpose=Purpose.SAFEGUARDING_CHILD_PROTECTION, subject_id=family.child.public_id, data_categories=(),
        action=AuditEvent.BREAK_GLASS_USED, decision=Verdict.ALLOW, justification="Report from the school nurse")
    append(facts)
    publish()
    page = mum.get("/portal/access-log/").content.decode()
    assert "sw-jones" in page and "Report from the school nurse" in page
    entry = AuditLogEntry.objects.get(actor_id="sw-jones")
    proof = mum.get(f"/portal/access-log/{entry.index}/proof.json")
    assert proof.status_code == 200
    body = json.loads(proof.content)
    proof_ = InclusionProof.from_dict(body["proof"])
    assert proof_.index == entry.index
    assert proof_.leaf_hash == leaf_hash(body["entry"].encode())  # the entry shown is the entry proved
    assert proof_.verify(bytes.fromhex(body["signed_tree_head"]["tree_head"]["root_hash"]))  # ...in the published log
    assert "page-mum" not in page  # her own visits are not listed


def test_a_proof_for_someone_elses_entry_is_not_found(family: builders.Family, mum: CheckingClient) -> None:
    other = builders.family("Else")
    append(AuditFacts(
        actor_id="x", actor_role="practitioner", organisation="", purpose=Purpose.DIRECT_SERVICE_DELIVERY,
        subject_id=other.child.public_id, data_categories=(), action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW))
    publish()
    entry = AuditLogEntry.objects.filter(subject_id=other.child.public_id).last()
    assert mum.get(f"/portal/access-log/{entry.index}/proof.json").status_code == 404
    assert mum.get("/portal/access-log/not-a-number/proof.json").status_code == 404


@pytest.mark.parametrize("path", ["/portal/links/", "/portal/flags/", "/portal/organisations/", "/portal/requests/",
                                  "/portal/messages/"])
def test_every_portal_page_renders_and_is_audited(family: builders.Family, mum: CheckingClient, path: str) -> None:
    before = AuditLogEntry.objects.filter(subject_id=family.mother.public_id).count()
    assert mum.get(path).status_code == 200
    assert AuditLogEntry.objects.filter(subject_id=family.mother.public_id).count() > before


def test_an_unverified_parent_is_sent_to_verify_first(unverified_parent: Account, checking_client: CheckingClient) -> None:
    sign_in_as(checking_client, unverified_parent)
    response = checking_client.get("/portal/records/")
    assert response.status_code == 302 and response["Location"].endswith("/portal/verify/")


def test_a_parent_sees_a_flag_with_its_inputs_and_can_object(family: builders.Family, mum: CheckingClient) -> None:
    run = ScoringRun.objects.create(model_id="early-help", ran_at=timezone.now(), allowed=True, state="active")
    flag = FlagNotice.objects.create(
        run=run, model_id="early-help", household_ref=family.household.public_id, person_ref=family.child.public_id,
        score=0.81, inputs=[{"label": "Missed health appointments", "value": 3}], title="We think you might want help",
        message="A model suggested early help.", how_to_object="Press the button below.", created_at=timezone.now())
    page = mum.get("/portal/flags/").content.decode()
    assert "Missed health appointments: 3" in page and "Press the button below." in page
    other = builders.family("Flagless")
    theirs = FlagNotice.objects.create(
        run=run, model_id="early-help", household_ref=other.household.public_id, person_ref=other.child.public_id,
        score=0.9, title="t", message="m", how_to_object="o", created_at=timezone.now())
    assert mum.post("/portal/flags/", {"flag": theirs.pk}).status_code == 404  # not this family's flag
    assert mum.post("/portal/flags/", {"flag": flag.pk, "why": "We already get help"}).status_code == 302
    flag.refresh_from_db()
    theirs.refresh_from_db()
    assert flag.status == FlagNotice.Status.OBJECTED and flag.objection == "We already get help"
    assert theirs.status == FlagNotice.Status.ACTIVE


def test_a_child_protection_check_is_hidden_only_while_a_lead_withholds_it(family: builders.Family, mum: CheckingClient) -> None:
    lead = builders.authoriser(name="lead-withholds")
    append(AuditFacts(
        actor_id="sw-quiet", actor_role="practitioner", organisation="Children's Services",
        purpose=Purpose.SAFEGUARDING_CHILD_PROTECTION, subject_id=family.child.public_id, data_categories=(),
        action=AuditEvent.BREAK_GLASS_USED, decision=Verdict.ALLOW, justification="Telling now would put the child at risk"))
    now = timezone.now()
    withheld = NotificationWithholding.objects.create(
        subject=family.child, decided_by=lead, reason="Investigation under way", decided_at=now,
        until=now + timedelta(days=14))
    assert "sw-quiet" not in mum.get("/portal/access-log/").content.decode()
    withheld.until = now - timedelta(seconds=1)
    withheld.save()
    page = mum.get("/portal/access-log/").content.decode()
    assert "sw-quiet" in page and "Telling now would put the child at risk" in page


def test_a_parents_access_log_never_shows_another_parents_own_activity(
    family: builders.Family, mum: CheckingClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14, item 2: what staff and systems did, never the other parent's visits, downloads or refusals."""
    create_parent("page-dad", family.father, password="not-a-real-password-1")
    dad = sign_in_as(CheckingClient(), Account.objects.get(user__username="page-dad"))
    assert dad.get("/portal/records/").status_code == 200  # his visit to the child's records
    assert dad.get("/portal/download/family.json").status_code == 200  # his download
    assert dad.get(f"/api/persons/{family.mother.public_id}/records", {"purpose": "rights.subject_access"}).status_code == 403  # refused: her own records
    outsider = builders.family("Outside")
    create_parent("outside-mum", outsider.mother, password="not-a-real-password-1")
    stranger = sign_in_as(CheckingClient(), Account.objects.get(user__username="outside-mum"))
    assert stranger.get(f"/api/persons/{family.child.public_id}/records", {"purpose": "rights.subject_access"}).status_code == 403
    append(AuditFacts(
        actor_id="sw-jones", actor_role="practitioner", organisation="Children's Services",
        purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id=family.child.public_id, data_categories=(),
        action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW))
    publish()
    monkeypatch.setattr(pdf, "render", lambda html: html.encode())  # the PDF's text, before it is laid out

    page = mum.get("/portal/access-log/").content.decode()
    document = json.loads(mum.get("/portal/download/family.json").content)
    files = {"page": page, "json": json.dumps(document), "csv": mum.get("/portal/download/family.csv").content.decode(),
             "pdf": mum.get("/portal/download/family.pdf").content.decode()}
    for name, body in files.items():
        assert "page-dad" not in body and "outside-mum" not in body, f"the {name} shows another parent"
    assert "sw-jones" in page and "sw-jones" in files["pdf"]  # staff answer for what they did
    assert "A request we refused" in page and "A request we refused" in files["pdf"]
    refused = [a for a in document["access_log"] if not a["who"]]
    assert refused and all(not a["allowed"] and not a["role"] and not a["organisation"] for a in refused)
    assert {a["about"] for a in refused} == {family.child.display_name}  # the outsider's try, not the father's
    anonymous = AuditLogEntry.objects.get(actor_id="outside-mum", subject_id=family.child.public_id)
    assert mum.get(f"/portal/access-log/{anonymous.index}/proof.json").status_code == 404  # a proof names who


def test_each_linkage_run_is_in_the_access_log_in_words_with_a_two_level_proof(
        family: builders.Family, mum: CheckingClient) -> None:
    kept = PersonLinkageOutcome(family.mother.public_id, allowed_across_services=False, reasons=("consent_refused",),
                          kept_apart=("police", "school"))
    run = builders.committed_run({family.mother.public_id: kept})
    page = mum.get("/portal/access-log/").content.decode()
    assert "Ready after the next published log" in page  # not under a signed head yet: no proof offered
    publish()
    page = mum.get("/portal/access-log/").content.decode()
    day = f"{run.started_at.day} {run.started_at.strftime('%B')} {run.started_at.year}"
    assert (f"Your records were matched on {day}: 1 record joined; records from 2 services kept apart "
            "because you said no") in page
    # the child's sensitive record is not hers to see, so neither is a count or proof that would say it exists
    assert f"Child Page&#x27;s records were matched on {day}<" in page
    assert "No proof: it would show records you cannot see" in page
    assert family.father.public_id not in page  # the other parent's line is not hers to see

    before = AuditLogEntry.objects.filter(subject_id=family.mother.public_id).count()
    response = mum.get(f"/portal/access-log/runs/{run.pk}/{family.mother.public_id}/proof.json")
    assert response.status_code == 200
    assert AuditLogEntry.objects.filter(subject_id=family.mother.public_id).count() > before  # the read is audited
    proof = json.loads(response.content)
    key = signing_key(config.data_dir()).public_key()
    checked = check_run_proof(proof, key, person=family.mother.public_id, run=run.pk)
    assert checked.ok and checked.leaf is not None and checked.leaf.kept_apart == ("police", "school")
    proof["leaf"] = proof["leaf"].replace('"records_joined":1', '"records_joined":2')
    assert not check_run_proof(proof, key).ok
    # the child's (it would count the hidden record), another family's person, or another run: not found
    for person, run_id in ((family.child, run.pk), (family.father, run.pk), (family.mother, run.pk + 1)):
        assert mum.get(f"/portal/access-log/runs/{run_id}/{person.public_id}/proof.json").status_code == 404


def test_a_childs_run_line_has_its_counts_and_proof_when_every_record_is_the_parents_to_see(
        mum: CheckingClient) -> None:
    other = builders.family("Open")
    create_parent("open-mum", other.mother, password="not-a-real-password-1")
    SourceRecord.objects.filter(assignments__person=other.child, sensitive=True).update(sensitive=False)
    kept = PersonLinkageOutcome(other.child.public_id, allowed_across_services=False, reasons=("consent_missing",),
                          kept_apart=("police",))
    run = builders.committed_run({other.child.public_id: kept})
    publish()
    client = sign_in_as(mum.__class__(), Account.objects.get(user__username="open-mum"))
    page = client.get("/portal/access-log/").content.decode()
    day = f"{run.started_at.day} {run.started_at.strftime('%B')} {run.started_at.year}"
    assert (f"Child Open&#x27;s records were matched on {day}: 2 records joined; records from 1 service "
            "kept apart because you have not said yes") in page
    response = client.get(f"/portal/access-log/runs/{run.pk}/{other.child.public_id}/proof.json")
    assert check_run_proof(json.loads(response.content), signing_key(config.data_dir()).public_key()).ok


def test_a_run_that_used_break_glass_is_left_out_while_notification_is_withheld(
        family: builders.Family, mum: CheckingClient) -> None:
    glass = PersonLinkageOutcome(family.child.public_id, break_glass=True)
    builders.committed_run({family.child.public_id: glass})
    publish()
    lead = builders.staff(lead=True)
    NotificationWithholding.objects.create(subject=family.child, decided_by=lead, reason="Enquiry under way",
                                           decided_at=timezone.now() - timedelta(minutes=1),
                                           until=timezone.now() + timedelta(days=10))
    page = mum.get("/portal/access-log/").content.decode()
    assert "Your records were matched" in page and "Child Page&#x27;s records were matched" not in page
