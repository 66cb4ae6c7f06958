"""Every role x every personal-data route x another family's ids: nothing leaks.

New personal-data routes are picked up from ``famlink.urls`` automatically.
The one legitimate cross-family read, a DPO fulfilling a subject access
request, is asserted to be allowed and logged rather than skipped.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.governance.routes import RouteAccess, declared
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from tests.adapters.storage.governance import builders
from tests.adapters.storage.governance.test_door import give_consent
from tests.web.routewalk import fill, routes

pytestmark = pytest.mark.django_db
LEGITIMATE = {("dpo", Purpose.SUBJECT_ACCESS)}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    src = builders.source()
    a, b = builders.family("Alpha", src), builders.family("Bravo", src)
    give_consent(a.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    parent_a = builders.user("parent-alpha")
    verified = {parent_a.pk: a.mother.public_id}
    monkeypatch.setattr(actors, "verified_person_id", lambda user: verified.get(user.pk))
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
    return {"a": a, "b": b, "users": users}


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
            for person in (b.mother, b.father, b.child):
                for purpose in Purpose:
                    before = AuditLogEntry.objects.filter(subject_id=person.public_id).count()
                    response = client.get(fill(route, person.public_id), {"purpose": purpose.value})
                    body = response.content.decode()
                    logged = AuditLogEntry.objects.filter(subject_id=person.public_id).count() > before
                    assert logged, f"{role} {route.path} {purpose}: not logged"
                    checked += 1
                    if (role, purpose) in LEGITIMATE:
                        assert response.status_code == 200
                        continue
                    assert response.status_code in (403, 404), f"{role} {route.path} {purpose}: {response.status_code}"
                    leaked = [s for s in b.secrets if s in body and s != person.public_id]
                    assert not leaked, f"{role} {route.path} {purpose} leaked {leaked}"
    assert checked == len(world["users"]) * len(personal_routes()) * 3 * len(Purpose)


def test_positive_controls_so_the_matrix_is_not_vacuous(world: dict) -> None:  # type: ignore[type-arg]
    a = world["a"]
    users = world["users"]
    route = personal_routes()[0]
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
