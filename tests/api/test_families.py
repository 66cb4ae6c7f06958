"""``/api/families/{id}``, its chronology and flags, and sharing decisions: allowed, refused with reasons, another
family's ids, the purpose and the scope, every call in the family's access log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.sharing import GOLDEN_RULES
from tests.common import builders
from tests.common.builders import give_consent

pytestmark = pytest.mark.django_db
DIRECT = {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value}
READS = ("", "/chronology", "/flags")


def consenting(tag: str) -> builders.Family:
    fam = builders.family(tag)
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    return fam


def get(token: str, url: str, query: dict[str, str] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = Client().get(url, DIRECT if query is None else query, **builders.bearer(token))
    return answer.status_code, json.loads(answer.content)


def test_the_chronology_has_a_source_on_every_line_and_the_call_is_logged_as_the_service() -> None:
    fam = consenting("Chron")
    token = builders.service_token("cms")
    before = AuditLogEntry.objects.count()
    status, body = get(token, f"/api/families/{fam.child.public_id}/chronology")
    assert status == 200, body
    assert body["lines"] and all(line["organisation"] and line["source"] for line in body["lines"])
    assert any(line["note"] == "note about Child Chron" for line in body["lines"])
    assert body["held_back"], "the other members, who gave no consent, are listed as held back with reasons"
    assert all(h["reasons"] and h["reason_codes"] for h in body["held_back"])
    logged = AuditLogEntry.objects.filter(index__gte=before, subject_id=fam.child.public_id)
    assert set(logged.values_list("actor_id", "action")) == {("service:cms", "record:viewed")}


def test_the_chronology_filters_narrow_and_never_widen() -> None:
    fam = consenting("Filter")
    token = builders.service_token("cms")
    url = f"/api/families/{fam.child.public_id}/chronology"
    _, everything = get(token, url)
    _, none_then = get(token, url, {**DIRECT, "from": "1900-01-01", "to": "1900-01-02"})
    assert len(none_then["lines"]) <= len(everything["lines"])
    assert all(line["date"] is None for line in none_then["lines"])  # undated lines may fall in any period
    status, body = get(token, url, {**DIRECT, "person": "PSOMEONEELSE"})
    assert status == 400 and body["parameter"] == "person"
    status, body = get(token, url, {**DIRECT, "from": "yesterday"})
    assert status == 400 and body["type"] == "/api/docs#problem-invalid-input"


def test_family_and_flags_answer_what_the_purpose_allows() -> None:
    fam = consenting("Fam")
    token = builders.service_token("cms")
    status, family = get(token, f"/api/families/{fam.child.public_id}")
    assert status == 200
    shown = {m["person_id"]: m["shown"] for m in family["members"]}
    assert shown[fam.child.public_id] is True
    assert all(m["name"] is None for m in family["members"] if not m["shown"])
    status, flags = get(token, f"/api/families/{fam.child.public_id}/flags")
    assert status == 200 and flags["person_id"] == fam.child.public_id and isinstance(flags["flags"], list)


def test_a_family_nobody_in_which_may_be_shown_is_a_403_with_the_policys_reasons() -> None:
    fam = builders.family("Nobody")  # no consent from anyone
    token = builders.service_token("cms")
    for tail in READS:
        before = AuditLogEntry.objects.filter(subject_id=fam.child.public_id).count()
        status, body = get(token, f"/api/families/{fam.child.public_id}{tail}")
        assert status == 403 and body["type"] == "/api/docs#problem-access-denied", tail
        assert body["reasons"] and all(r["code"] and r["text"] for r in body["reasons"])
        assert not [s for s in fam.secrets if s in json.dumps(body) and s != fam.child.public_id]
        assert AuditLogEntry.objects.filter(subject_id=fam.child.public_id).count() > before, "refusals are logged"


def test_another_familys_ids_show_nothing_of_them() -> None:
    mine, theirs = consenting("Mine"), builders.family("Theirs")
    token = builders.service_token("cms")
    assert get(token, f"/api/families/{mine.child.public_id}")[0] == 200
    for person in (theirs.mother, theirs.father, theirs.child):
        for tail in READS:
            status, body = get(token, f"/api/families/{person.public_id}{tail}")
            assert status == 403, (person, tail)
            assert not [s for s in theirs.secrets if s in json.dumps(body) and s != person.public_id]
    assert get(token, "/api/families/PNOSUCH")[0] == 404


def test_purpose_scope_and_role_are_each_required() -> None:
    fam = consenting("Need")
    url = f"/api/families/{fam.child.public_id}/chronology"
    assert get(builders.service_token("cms"), url, {})[1]["parameter"] == "purpose"
    narrow = builders.service_token("narrow", scopes=["records:read"])
    assert get(narrow, url)[1]["type"] == "/api/docs#problem-scope-missing"
    team = builders.service_token("team", role=Role.DATA_TEAM, purposes=[Purpose.RECORD_LINKAGE.value])
    status, body = get(team, url, {"purpose": Purpose.RECORD_LINKAGE.value})
    assert status == 403 and body["type"] == "/api/docs#problem-not-allowed"  # the workspace is for practitioners


def decision(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "verdict": "share", "recipient": "Dr Lee, school nurse", "information": "Attendance at the clinic",
        "categories": ["health"], "reasons": "Needed to plan the child's support", "lawful_basis": "public_task",
        "golden_rules": list(GOLDEN_RULES), "parent_told": True, "case_reference": "EH-1"}
    return {**body, **changes}


def post(token: str, person: str, body: dict[str, object], purpose: str = DIRECT["purpose"]) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = Client().post(f"/api/families/{person}/sharing-decisions?purpose={purpose}", json.dumps(body),
                           content_type="application/json", **builders.bearer(token))
    return answer.status_code, json.loads(answer.content)


def test_a_sharing_decision_is_recorded_through_the_door_and_shows_in_the_chronology() -> None:
    fam = consenting("Share")
    builders.staff(name="unused")  # another member of staff: the decision is the service's own
    writer = builders.service_token("cms", scopes=["sharing:write", "chronology:read"])
    status, made = post(writer, fam.child.public_id, decision())
    assert status == 201, made
    assert made["verdict"] == "share" and SharingDecision.objects.get(pk=made["id"]).decided_by.user.username == "service:cms"
    entry = AuditLogEntry.objects.filter(subject_id=fam.child.public_id).order_by("-index").first()
    assert entry is not None and (entry.actor_id, entry.action) == ("service:cms", "sharing:decided")
    _, chronology = get(writer, f"/api/families/{fam.child.public_id}/chronology")
    assert any(line["kind"] == "sharing decision" for line in chronology["lines"])


def test_a_sharing_decision_is_refused_without_the_scope_the_rules_or_the_policy() -> None:
    fam, other = consenting("NoShare"), builders.family("Other")
    reader = builders.service_token("reader")  # reads only: a write is asked for by name
    assert post(reader, fam.child.public_id, decision())[1]["type"] == "/api/docs#problem-scope-missing"
    writer = builders.service_token("writer", scopes=["sharing:write"])
    status, body = post(writer, fam.child.public_id, decision(golden_rules=["necessary"]))
    assert status == 400 and body["parameter"] == "golden_rules"
    status, body = post(writer, fam.child.public_id, decision(verdict="maybe"))
    assert status == 400
    status, body = post(writer, other.child.public_id, decision())
    assert status == 403 and body["reasons"]  # another family, no consent: the door says no
    assert not SharingDecision.objects.exists()
    signed_in = Client()
    signed_in.force_login(builders.staff(name="session").user)
    refused = signed_in.post(f"/api/families/{fam.child.public_id}/sharing-decisions?purpose=service.direct_delivery",
                             json.dumps(decision()), content_type="application/json")
    assert refused.status_code == 403  # a browser session cannot write through the API (no CSRF token)


def test_no_role_records_a_sharing_decision_about_another_family_for_any_purpose() -> None:
    """The write's row of the access matrix: every staff role's token x every purpose x another family's people."""
    theirs = builders.family("Matrix")
    statuses = set()
    for role in (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD, Role.DATA_TEAM, Role.DPO, Role.AUDITOR):
        token = builders.service_token(f"svc-{role.value}", role=role, scopes=["sharing:write"])
        for purpose in Purpose:
            for person in (theirs.mother, theirs.father, theirs.child):
                status, body = post(token, person.public_id, decision(), purpose.value)
                statuses.add(status)
                assert status == 403, (role, purpose, status, body)
                assert not [s for s in theirs.secrets if s in json.dumps(body) and s != person.public_id]
    assert not SharingDecision.objects.exists() and statuses == {403}
