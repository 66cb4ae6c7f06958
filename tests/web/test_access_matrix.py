"""Every role x every personal-data route x another family's ids: nothing leaks.

New personal-data routes are picked up from ``famlink.urls`` automatically.
The one legitimate cross-family read, a DPO fulfilling a subject access
request, is asserted to be allowed and logged rather than skipped.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.web.marks import RouteAccess, declared
from tests.common import builders
from tests.common.builders import give_consent
from tests.web.routewalk import fill, routes

pytestmark = pytest.mark.django_db
LEGITIMATE = {("dpo", Purpose.SUBJECT_ACCESS)}
#: Pages about the signed-in parent's own family: they never take a person from the URL on trust.
SELF_SCOPED = "/portal/"


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
    return [r for r in routes() if declared(r.view) is RouteAccess.PERSONAL_DATA]


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
                        assert response.status_code in (302, 401, 403, 404), f"{role} {url}: {response.status_code}"
                    leaked = [s for s in b.secrets if s in body and s != person.public_id]
                    assert not leaked, f"{role} {route.path} {purpose} leaked {leaked}"
    assert checked == len(world["users"]) * len(personal_routes()) * 3 * len(Purpose)


def test_positive_controls_so_the_matrix_is_not_vacuous(world: dict) -> None:  # type: ignore[type-arg]
    a = world["a"]
    users = world["users"]
    route = next(r for r in personal_routes() if r.path.startswith("/api/"))
    mum = client_for(users["parent"])
    own = json.loads(mum.get(fill(route, a.mother.public_id)).content)
    assert "Refuge Alpha" in json.dumps(own)  # her own refuge address: it protects her
    child = mum.get(fill(route, a.child.public_id))
    assert child.status_code == 200 and "note about Child Alpha" in child.content.decode()
    assert "sensitive note Alpha" not in child.content.decode()  # protects the child, shown only to them
    assert mum.get(fill(route, a.father.public_id)).status_code == 403  # never another adult's own records
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
