"""Every role x every personal-data route x another family's ids: nothing leaks.

New personal-data routes are picked up from ``famlink.urls`` automatically.
The one legitimate cross-family read, a DPO fulfilling a subject access
request, is asserted to be allowed and logged rather than skipped.

Two more doors of the same policy are walked here: linkage input (an
opted-out child under every kind of break-glass, valid or not) and a
parent's access log (whose entries they see, and what a safeguarding lead's
withholding hides).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    NotificationWithholding,
    StaffActor,
)
from famlink.adapters.storage.linkage.models import RecordAssignment
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Actor, ReasonCode, Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.consent import set_opt_out
from famlink.services.governance.safeguarding import authorise_break_glass, withhold_notification
from famlink.services.linkage.gate import LinkageGate
from famlink.services.rights import requests
from famlink.web.marks import RouteAccess, declared
from tests.common import builders
from tests.common.builders import give_consent
from tests.web.routewalk import fill, reads, routes

pytestmark = pytest.mark.django_db
LEGITIMATE = {("dpo", Purpose.SUBJECT_ACCESS)}
#: Pages about the signed-in parent's own family: they never take a person from the URL on trust.
SELF_SCOPED = "/portal/"
MINE = {"purpose": Purpose.SUBJECT_ACCESS.value}  # a parent calling the records API


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    src = builders.source()
    a, b = builders.family("Alpha", src), builders.family("Bravo", src)
    give_consent(a.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    create_parent("parent-alpha", a.mother, password="not-a-real-password-1")
    parent_a = User.objects.get(username="parent-alpha")
    create_parent("parent-bravo", b.mother, password="not-a-real-password-1")
    parent_b = User.objects.get(username="parent-bravo")
    b_record = b.child.assignments.first().record
    b_request = requests.report(actors.actor_for(parent_b), parent_b, b.child, b_record.pk,
                                "request:rectification", "Bravo's own words")
    b.secrets.append("Bravo's own words")
    b_entry = AuditLogEntry.objects.filter(subject_id=b.child.public_id).order_by("index").first()
    b_ids = {"record_id": str(b_record.pk), "reference": b_request.reference, "entry": str(b_entry.index)}
    users = {
        "parent": parent_a,
        "practitioner": builders.staff(name="prac").user,
        "safeguarding_lead": builders.authoriser(name="lead").user,
        "data_team": builders.staff(Role.DATA_TEAM, name="dt", purposes=[
            Purpose.SERVICE_PLANNING.value, Purpose.RESEARCH_STATISTICS.value, Purpose.RECORD_LINKAGE.value]).user,
        "dpo": builders.staff(Role.DPO, name="dpo", purposes=[Purpose.SUBJECT_ACCESS.value]).user,
        "auditor": builders.staff(Role.AUDITOR, name="aud", purposes=[]).user,
        "signed_in_public": builders.user("someone"),
        "anonymous": AnonymousUser(),
    }
    return {"a": a, "b": b, "users": users, "b_ids": b_ids}


def personal_routes() -> list:  # type: ignore[type-arg]
    """Every personal-data route that answers GET (an API write is tried by tests/api for every role)."""
    return [r for r in routes() if declared(r.view) is RouteAccess.PERSONAL_DATA and reads(r)]


def client_for(user: object) -> Client:
    client = Client()
    if not isinstance(user, AnonymousUser):
        client.force_login(user)  # type: ignore[arg-type]
    return client


def test_no_role_sees_another_familys_data(world: dict) -> None:  # type: ignore[type-arg]
    b = world["b"]
    assert personal_routes(), "there must be personal-data routes to check"
    checked = 0
    for role, user in world["users"].items():
        client = client_for(user)
        for route in personal_routes():
            names_subject = "public_id" in route.keys and not route.path.startswith(SELF_SCOPED)
            for person in (b.mother, b.father, b.child):
                for purpose in Purpose:
                    before = AuditLogEntry.objects.filter(subject_id=person.public_id).count()
                    written = AuditLogEntry.objects.count()
                    url = fill(route, {"public_id": person.public_id, **world["b_ids"]})
                    response = client.get(url, {"purpose": purpose.value})
                    body = response.content.decode(errors="replace")  # a PDF download is bytes
                    logged = AuditLogEntry.objects.filter(subject_id=person.public_id).count() > before
                    if role == "anonymous" and route.path.startswith("/api/"):
                        # not about anybody yet: 401 at the API's gate, before any lookup or log entry
                        assert response.status_code == 401 and AuditLogEntry.objects.count() == written
                    elif names_subject:
                        assert logged, f"{role} {route.path} {purpose}: not logged"
                    elif response.status_code == 200:
                        assert AuditLogEntry.objects.count() > written, f"{role} {url}: shown but not logged"
                    checked += 1
                    if (role, purpose) in LEGITIMATE and names_subject:
                        assert response.status_code == 200
                        continue
                    if route.path.startswith(SELF_SCOPED) and role == "parent" and "<" not in route.path:
                        assert response.status_code == 200  # the page about A's own family...
                    else:
                        # 400: an API search asked with no terms (tests/api/test_people.py searches for real)
                        refusals = (302, 400, 401, 403, 404) if route.path == "/api/people" else (302, 401, 403, 404)
                        assert response.status_code in refusals, f"{role} {url} {purpose}: {response.status_code} {body[:1500]}"
                    leaked = [s for s in b.secrets if s in body and s != person.public_id]
                    assert not leaked, f"{role} {route.path} {purpose} leaked {leaked}"
    assert checked == len(world["users"]) * len(personal_routes()) * 3 * len(Purpose)


def test_positive_controls_so_the_matrix_is_not_vacuous(world: dict) -> None:  # type: ignore[type-arg]
    a = world["a"]
    users = world["users"]
    route = next(r for r in personal_routes() if r.path.startswith("/api/persons/"))
    mum = client_for(users["parent"])
    own = json.loads(mum.get(fill(route, a.mother.public_id), MINE).content)
    assert "Refuge Alpha" in json.dumps(own)  # her own refuge address: it protects her
    child = mum.get(fill(route, a.child.public_id), MINE)
    assert child.status_code == 200 and "note about Child Alpha" in child.content.decode()
    assert "sensitive note Alpha" not in child.content.decode()  # protects the child, shown only to them
    assert mum.get(fill(route, a.father.public_id), MINE).status_code == 403  # never another adult's own records
    practitioner = client_for(users["practitioner"])
    seen = practitioner.get(fill(route, a.child.public_id), {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
    assert seen.status_code == 200 and "note about Child Alpha" in seen.content.decode()


def test_the_portal_shows_a_parent_their_family_and_nothing_of_the_other_adult(world: dict) -> None:  # type: ignore[type-arg]
    a = world["a"]
    page = client_for(world["users"]["parent"]).get("/portal/records/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "note about Mother Alpha" in body and "note about Child Alpha" in body  # her own, her child's
    assert "note about Father Alpha" not in body  # never another adult's own records
    assert "sensitive note Alpha" not in body  # protects the child: not shown to a household member
    assert not [s for s in world["b"].secrets if s in body]
    assert a.father.public_id not in body


# --- linkage input: an opted-out child, and every kind of break-glass ---------------------------

JUSTIFIED = "Section 47 enquiry opened; records needed to identify the child."
R = ReasonCode


def _stored_glass(subject: Person, practitioner: StaffActor, authoriser: StaffActor, justification: str,
                  at: datetime) -> BreakGlassAuthorisation:
    """A break-glass as it might sit in the database without the service's checks (an import, an old version)."""
    return BreakGlassAuthorisation.objects.create(
        subject=subject, practitioner=practitioner, authoriser=authoriser, justification=justification,
        authoriser_valid_until=at + timedelta(days=9), granted_at=at, expires_at=at + timedelta(hours=72),
        review_due=(at + timedelta(days=14)).date())


def _valid(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    authorise_break_glass(w["a"].child, w["prac"], w["lead"], JUSTIFIED, at=at)
    return timedelta(minutes=1)


def _authority_ran_out(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    short_lived = builders.staff(Role.SAFEGUARDING_LEAD, lead=True, authoriser_until=at + timedelta(hours=1))
    authorise_break_glass(w["a"].child, w["prac"], short_lived, JUSTIFIED, at=at)
    return timedelta(hours=2)  # the break-glass still runs; the authority behind it does not


def _too_short(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    _stored_glass(w["a"].child, w["prac"], w["lead"], "urgent", at)
    return timedelta(minutes=1)


def _own_authoriser(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    # the practitioner again, under a second account told apart only by a stray space
    self_ = builders.staff(Role.SAFEGUARDING_LEAD, name=" prac", lead=True, authoriser_until=at + timedelta(days=9))
    _stored_glass(w["a"].child, w["prac"], self_, JUSTIFIED, at)
    return timedelta(minutes=1)


def _not_upheld(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    glass = authorise_break_glass(w["a"].child, w["prac"], w["lead"], JUSTIFIED, at=at)
    BreakGlassAuthorisation.objects.filter(pk=glass.pk).update(outcome=BreakGlassOutcome.NOT_UPHELD)
    return timedelta(minutes=1)


def _run_out(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    authorise_break_glass(w["a"].child, w["prac"], w["lead"], JUSTIFIED, at=at)
    return timedelta(hours=73)


def _someone_elses(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    authorise_break_glass(w["a"].mother, w["prac"], w["lead"], JUSTIFIED, at=at)
    return timedelta(minutes=1)


def _none(w: dict, at: datetime) -> timedelta:  # type: ignore[type-arg]
    return timedelta(minutes=1)


#: (variant, how it is set up, is the child linked, a reason the audit entry must give)
LINKAGE_CASES: list[tuple[str, Callable[[dict, datetime], timedelta], bool, ReasonCode]] = [  # type: ignore[type-arg]
    ("no break-glass", _none, False, R.BREAK_GLASS_REQUIRED),
    ("valid break-glass", _valid, True, R.BREAK_GLASS_ACCEPTED),
    ("authoriser's authority ran out", _authority_ran_out, False, R.BREAK_GLASS_AUTHORITY_EXPIRED),
    ("justification too short", _too_short, False, R.BREAK_GLASS_JUSTIFICATION_TOO_SHORT),
    ("practitioner as their own authoriser", _own_authoriser, False, R.BREAK_GLASS_SAME_PERSON),
    ("found unjustified on review", _not_upheld, False, R.BREAK_GLASS_REQUIRED),
    ("break-glass run out", _run_out, False, R.BREAK_GLASS_REQUIRED),
    ("break-glass names someone else", _someone_elses, False, R.BREAK_GLASS_REQUIRED),
]


def _records_of(*people: Person) -> dict[str | None, list[int]]:
    return {p.public_id: list(RecordAssignment.objects.filter(person=p).values_list("record_id", flat=True))
            for p in people}


@pytest.mark.parametrize(("variant", "setup", "linked", "reason"), LINKAGE_CASES, ids=[c[0] for c in LINKAGE_CASES])
def test_linkage_input_for_an_opted_out_child(
    world: dict, variant: str, setup: Callable[[dict, datetime], timedelta], linked: bool,  # type: ignore[type-arg]
    reason: ReasonCode,
) -> None:
    a = world["a"]
    w = {"a": a, "prac": StaffActor.objects.get(user=world["users"]["practitioner"]),
         "lead": StaffActor.objects.get(user=world["users"]["safeguarding_lead"])}
    set_opt_out(a.child, "linkage", True, recorded_by=Actor(id="dt", role=Role.DATA_TEAM))
    at = timezone.now()
    later = setup(w, at)
    records = _records_of(a.mother, a.father, a.child)
    found = LinkageGate(now=at + later).excluded(records)
    assert not set(records[a.mother.public_id]) & found.record_ids  # not opted out: always linked
    assert (not set(records[a.child.public_id]) & found.record_ids) is linked, variant
    assert (a.child.public_id in found.exempted) is linked
    entry = AuditLogEntry.objects.filter(action="linkage:run", subject_id=a.child.public_id).get()
    logged = json.loads(bytes(entry.entry_bytes))
    assert entry.decision == ("allow" if linked else "deny")
    assert R.OPTED_OUT_OF_LINKAGE in logged["reasons"] and reason in logged["reasons"], logged["reasons"]
    assert not AuditLogEntry.objects.filter(action="linkage:run", subject_id=a.mother.public_id).exists()


# --- a parent's access log: whose entries, and what a withholding hides ----------------------------

def test_access_log_shows_staff_and_systems_hides_family_and_withheld_child_protection(
    world: dict,  # type: ignore[type-arg]
) -> None:
    a, users = world["a"], world["users"]
    prac = StaffActor.objects.get(user=users["practitioner"])
    lead = StaffActor.objects.get(user=users["safeguarding_lead"])
    api = f"/api/persons/{a.child.public_id}/records"
    # staff looking after the child: the practitioner answers for it, by name
    assert client_for(users["practitioner"]).get(api, {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value}).status_code == 200
    # another family's parent trying the child's records: refused, shown without a name
    assert client_for(world["users"]["parent"]).get(f"/api/persons/{world['b'].child.public_id}/records", MINE).status_code == 403
    assert client_for(User.objects.get(username="parent-bravo")).get(api, MINE).status_code == 403
    # the children's father, with his own account: his visits are his business
    create_parent("father-alpha", a.father, password="not-a-real-password-1")
    assert client_for(User.objects.get(username="father-alpha")).get(api, MINE).status_code == 200
    # both opted out of linkage; the child's opt-out overridden for child protection, and the parent not told yet
    data_team = Actor(id="dt", role=Role.DATA_TEAM)
    set_opt_out(a.mother, "linkage", True, recorded_by=data_team)
    set_opt_out(a.child, "linkage", True, recorded_by=data_team)
    at = timezone.now()
    authorise_break_glass(a.child, prac, lead, JUSTIFIED, at=at)
    withheld = withhold_notification(a.child, lead, "Telling the parents now would put the child at risk.",
                                     at + timedelta(days=14), at=at)
    LinkageGate(now=at + timedelta(minutes=1)).excluded(_records_of(a.mother, a.child))
    publish()

    def seen() -> list[dict]:  # type: ignore[type-arg]
        return json.loads(client_for(users["parent"]).get("/portal/download/family.json").content)["access_log"]

    def by(who: str) -> list[dict]:  # type: ignore[type-arg]
        return [e for e in seen() if e["who"] == who]

    shown = seen()
    assert {e["who"] for e in shown} >= {"prac", "famlink-linkage"}
    assert not {"parent-alpha", "father-alpha", "parent-bravo", "lead"} & {e["who"] for e in shown}
    assert [e for e in shown if not e["who"]] and all(not e["allowed"] for e in shown if not e["who"])
    assert all(e["purpose"] != Purpose.SAFEGUARDING_CHILD_PROTECTION.value for e in shown)  # withheld
    linkage = by("famlink-linkage")
    mothers = a.mother.display_name
    assert [(e["about"], e["allowed"]) for e in linkage] == [(mothers, False)]  # her opt-out honoured: no secret
    assert JUSTIFIED not in json.dumps(shown)

    NotificationWithholding.objects.filter(pk=withheld.pk).update(until=timezone.now() - timedelta(seconds=1))
    told = seen()
    linkage = by("famlink-linkage")
    assert sorted((e["about"], e["allowed"]) for e in linkage) == sorted(
        [(mothers, False), (a.child.display_name, True)])  # now the parent learns the override let the child in
    looks = {e["who"]: e["justification"] for e in told if e["purpose"] == Purpose.SAFEGUARDING_CHILD_PROTECTION.value}
    assert looks == {"prac": JUSTIFIED, "lead": "Telling the parents now would put the child at risk."}


# --- break-glass pages: a request is seen by who asked, who is named, their lead; decided by the named one --

def test_break_glass_pages_show_a_request_to_nobody_else_and_only_the_named_authoriser_decides(
    world: dict,  # type: ignore[type-arg]
) -> None:
    from famlink.adapters.storage.governance.models import BreakGlassRequest
    from famlink.services.workspace import break_glass

    cast = builders.break_glass_cast("m")
    made = break_glass.ask(cast.practitioner.user, world["a"].child.public_id, str(cast.lead.pk), JUSTIFIED, "CP-M")
    reviewer_who_authorised = builders.staff(Role.INDEPENDENT_REVIEWER, name="rev-m", purposes=[],
                                             authoriser_until=timezone.now() + timedelta(days=30))
    outsiders = {
        "another practitioner": builders.signed_in_staff(Client(), cast.other),
        "another family's lead": builders.signed_in_staff(Client(), builders.authoriser(name="lead-elsewhere")),
        "reviewer": builders.signed_in_staff(Client(), cast.reviewer),
        **{role: client_for(user) for role, user in world["users"].items()},
    }
    pages = [f"/workspace/break-glass/{made.pk}/", f"/workspace/break-glass/{made.pk}/withhold/"]
    for who, client in outsiders.items():
        for url in pages:
            seen = client.get(url)
            assert seen.status_code in (302, 401, 403, 404), f"{who} {url}: {seen.status_code}"
            assert JUSTIFIED not in seen.content.decode()
        tried = client.post(pages[0], {"decision": "approve"})
        assert tried.status_code in (302, 401, 403, 404), f"{who} decided: {tried.status_code}"
        client.post(pages[1], {"until": (timezone.localdate() + timedelta(days=3)).isoformat(), "reason": "x"})
    assert BreakGlassRequest.objects.get().state == "pending"
    assert not NotificationWithholding.objects.exists()
    # approved, it goes to review; the reviewer who authorised another cannot review their own
    glass = break_glass.approve(cast.lead.user, made.pk)
    BreakGlassAuthorisation.objects.filter(pk=glass.pk).update(authoriser=reviewer_who_authorised)
    own = builders.signed_in_staff(Client(), reviewer_who_authorised)
    assert own.get(f"/workspace/reviews/{glass.pk}/").status_code == 404
    assert own.post(f"/workspace/reviews/{glass.pk}/", {"outcome": "upheld", "note": "fine"}).status_code == 404
    assert f"/workspace/reviews/{glass.pk}/" not in own.get("/workspace/reviews/").content.decode()
    for who in ("another practitioner", "another family's lead"):
        assert outsiders[who].get(f"/workspace/reviews/{glass.pk}/").status_code == 403  # not a reviewer
    assert BreakGlassAuthorisation.objects.get(pk=glass.pk).outcome == BreakGlassOutcome.PENDING


# --- the practitioner workspace: an opening of one family opens no other ----------------------------

def _workspace_client(name: str, role: Role, opens: Person) -> Client:
    """A member of staff signed in with their second factor, who opened ``opens``'s family for direct delivery."""
    from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
    from famlink.services.workspace.opening import open_family

    account = builders.practitioner_account(name, role=role)
    open_family(actors.actor_for(account.user), opens.public_id, Purpose.DIRECT_SERVICE_DELIVERY, "MATRIX-1")
    client = client_for(account.user)
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


def test_the_workspace_shows_no_family_but_the_one_opened(world: dict) -> None:  # type: ignore[type-arg]
    a, b = world["a"], world["b"]
    family_routes = [r for r in personal_routes() if r.path.startswith("/workspace/families/")]
    assert family_routes, "the workspace's family pages must be walked"
    for role in (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD):
        client = _workspace_client(f"ws-{role.value}", role, a.child)
        for route in family_routes:
            own = client.get(fill(route, {"public_id": a.child.public_id, "person_id": a.child.public_id}))
            assert own.status_code == 200, f"{role} {route.path}: the opened family"  # not vacuous
            for person in (b.mother, b.father, b.child):
                for purpose in Purpose:
                    url = fill(route, {"public_id": person.public_id, "person_id": person.public_id})
                    response = client.get(url, {"purpose": purpose.value, "person": person.public_id})
                    assert response.status_code == 302 and response["Location"].endswith("/open/"), url
            chrono = client.get(f"/workspace/families/{a.child.public_id}/chronology/", {"person": b.child.public_id})
            assert chrono.status_code == 400
            body = chrono.content.decode()
            assert not [s for s in b.secrets if s in body and s != b.child.public_id]
