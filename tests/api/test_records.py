"""``/api/persons/<id>/records``: allowed or refused with the policy's reasons, never another family's, and a read
whose audit entry cannot be confirmed shows nothing."""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from django.test import Client

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from tests.common import builders
from tests.common.builders import give_consent
from tests.common.database import postgres_only

pytestmark = pytest.mark.django_db
DIRECT = {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value}


def entries_after(before: int) -> int:
    return AuditLogEntry.objects.count() - before


def test_a_service_account_reads_a_consenting_familys_records_with_their_statements_and_is_logged() -> None:
    fam = builders.family("Rec")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    token = builders.service_token("cms")
    before = AuditLogEntry.objects.count()
    answer = Client().get(f"/api/persons/{fam.child.public_id}/records", DIRECT, **builders.bearer(token))
    assert answer.status_code == 200, answer.content
    body = json.loads(answer.content)
    assert body["person"] == fam.child.public_id and body["purpose"] == DIRECT["purpose"]
    assert any(r["note"] == "note about Child Rec" for r in body["records"])
    assert all({"statements", "history", "disputed", "version"} <= set(r) for r in body["records"])
    entries = AuditLogEntry.objects.filter(subject_id=fam.child.public_id).order_by("-index")[:entries_after(before)]
    # the read, and the door's answer about the child's safeguarding-sensitive record: each in the child's log
    assert {(e.actor_id, e.action) for e in entries} == {("service:cms", "record:viewed")}


def test_a_refusal_is_problem_json_listing_the_policys_reasons() -> None:
    fam = builders.family("Ref")  # nobody consented
    token = builders.service_token("cms")
    answer = Client().get(f"/api/persons/{fam.child.public_id}/records", DIRECT, **builders.bearer(token))
    assert answer.status_code == 403 and answer["Content-Type"] == "application/problem+json"
    body = json.loads(answer.content)
    assert body["type"] == "/api/docs#problem-access-denied" and body["status"] == 403
    assert body["reasons"] and all(set(r) == {"code", "text"} and r["text"] in body["detail"] for r in body["reasons"])
    codes = {r["code"] for r in body["reasons"]}
    logged = AuditLogEntry.objects.filter(subject_id=fam.child.public_id).order_by("-index").first()
    assert logged is not None and logged.decision == "deny"
    assert codes <= set(json.loads(bytes(logged.entry_bytes))["reasons"])  # the same reasons as the access log
    assert "note about Child Ref" not in answer.content.decode()


def test_another_familys_ids_and_made_up_ids_show_nothing_of_them() -> None:
    mine, theirs = builders.family("Mine"), builders.family("Theirs")
    give_consent(mine.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    token = builders.service_token("cms", purposes=[Purpose.DIRECT_SERVICE_DELIVERY.value])
    for person in (theirs.mother, theirs.father, theirs.child):
        answer = Client().get(f"/api/persons/{person.public_id}/records", DIRECT, **builders.bearer(token))
        assert answer.status_code == 403
        assert not [s for s in theirs.secrets if s in answer.content.decode() and s != person.public_id]
    unknown = Client().get("/api/persons/PNOSUCH/records", DIRECT, **builders.bearer(token))
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/problem+json"


def test_the_purpose_is_required_and_must_be_one_of_the_policys() -> None:
    fam = builders.family("Purp")
    token = builders.service_token("cms")
    for query in ({}, {"purpose": "curiosity"}):
        answer = Client().get(f"/api/persons/{fam.child.public_id}/records", query, **builders.bearer(token))
        assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
        assert json.loads(answer.content)["parameter"] == "purpose"
    assert not AuditLogEntry.objects.filter(subject_id=fam.child.public_id).exists()  # refused before the door


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_when_the_audit_writer_goes_away_with_the_entry_the_records_are_not_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = Path(tempfile.mkdtemp(prefix="fl-", dir="/tmp")) / "w.sock"
    monkeypatch.setenv("FAMLINK_AUDIT_WRITER_SOCKET", str(path))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def take_and_vanish() -> None:  # a writer that dies between reading the entry and answering
        peer, _ = listener.accept()
        peer.recv(1 << 16)
        peer.close()

    vanishing = threading.Thread(target=take_and_vanish)
    vanishing.start()
    fam = builders.family("Alpha", builders.source())
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    client = Client()
    client.force_login(builders.staff(name="prac").user)
    try:
        answer = client.get(f"/api/persons/{fam.child.public_id}/records",
                            {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
    finally:
        vanishing.join(10)
        listener.close()
        path.unlink()
        path.parent.rmdir()
    assert answer.status_code == 503
    body = json.loads(answer.content)
    assert body["detail"] == "The audit log did not confirm this access, so nothing was shown. Please try again."
    assert answer["Content-Type"] == "application/problem+json" and body["status"] == 503
    assert "note about Child Alpha" not in answer.content.decode()
