"""Every route declares what it shows; every personal-data route asks the door and is logged."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.services.workspace.opening import open_family
from famlink.web.marks import RouteAccess, declared
from tests.common import builders
from tests.web.routewalk import client_for_path, fill, problems, routes

pytestmark = pytest.mark.django_db


def walk_setup(tag: str) -> tuple[dict[str, Client], dict[str, str]]:
    """Clients each page guard lets in, and real ids of one family for every URL parameter."""
    fam = builders.family(tag)
    practitioner = Client()
    practitioner.force_login(builders.staff().user)
    mum = Client()
    create_parent(f"{tag}-mum", fam.mother, password="not-a-real-password-1")
    parent_user = User.objects.get(username=f"{tag}-mum")
    mum.force_login(parent_user)
    team = signed_in_data_team(tag)
    record = fam.child.assignments.first().record
    made = requests.report(actors.actor_for(parent_user), parent_user, fam.child, record.pk,
                           "request:rectification", "This is wrong")
    entry = AuditLogEntry.objects.filter(subject_id=fam.child.public_id).order_by("index").first()
    run = builders.committed_run()  # the run that linked the family's records, in the audit log
    ids = {"public_id": fam.child.public_id, "record_id": str(record.pk), "reference": made.reference,
           "entry": str(entry.index), "run": str(run.pk), "person": fam.child.public_id,
           "person_id": fam.child.public_id,
           "?/workspace/search/": urlencode({"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value,
                                             "name": fam.child.display_name}),
           "?/api/people": urlencode({"name": fam.child.display_name})}
    return {"/": practitioner, "/portal/": mum, "/team/": team, "/workspace/": workspace_with_family_open(tag, fam)}, ids


def workspace_with_family_open(tag: str, fam: builders.Family) -> Client:
    """A practitioner signed in with their second factor, who has opened the family (purpose first)."""
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    account = builders.practitioner_account(f"{tag}-worker")
    open_family(actors.actor_for(account.user), fam.child.public_id, Purpose.DIRECT_SERVICE_DELIVERY, "WALK-1")
    client = Client()
    client.force_login(account.user)
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


def test_every_famlink_route_is_declared_and_personal_ones_are_audited() -> None:
    clients, ids = walk_setup("walk")
    assert problems(clients, ids, shared={"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value}) == []
    assert any("api/persons" in r.path for r in routes()), "the walker must see the personal-data routes"
    assert any(r.path.startswith("/portal/records") for r in routes()), "the walker must see the portal"
    assert any(r.path.startswith("/team/requests/<") for r in routes()), "the walker must see the team pages"


def test_every_portal_and_team_page_and_every_personal_answer_is_kept_by_no_cache() -> None:
    """A shared computer's browser, or a proxy, must not keep a copy a later user could open."""
    clients, ids = walk_setup("cache")
    seen = []
    for route in routes():
        personal = declared(route.view) is RouteAccess.PERSONAL_DATA
        if not (personal or route.path.startswith(("/portal/", "/team/"))):
            continue
        response = client_for_path(clients, route.path).get(fill(route, ids),
                                                            {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
        seen.append(route.path)
        assert "no-store" in response.get("Cache-Control", ""), f"{route.path}: {response.status_code}"
    assert "/portal/records/" in seen and "/team/requests/" in seen and "/portal/" in seen
    anonymous = Client().get(f"/api/persons/{ids['public_id']}/records")
    assert "no-store" in anonymous["Cache-Control"]


def signed_in_data_team(tag: str) -> Client:
    staff = builders.staff(Role.DATA_TEAM, purposes=[Purpose.SUBJECT_ACCESS.value], name=f"{tag}-team")
    Account.objects.create(user=staff.user, kind=Account.Kind.STAFF)
    client = Client()
    client.force_login(staff.user)
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


@override_settings(ROOT_URLCONF="tests.web.bypass_urls")
def test_the_walker_catches_routes_that_bypass_the_door() -> None:
    clients, ids = walk_setup("bypass")
    found = problems(clients, ids, "tests.web.bypass_urls", shared={"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
    assert any(p.startswith("/leak/") and "declares neither" in p for p in found)
    assert any(p.startswith("/sneaky/") and "without asking the policy door" in p for p in found)
    assert any(p.startswith("/mislabelled/") and "declares action rights:data_downloaded but its entries say record:viewed"
               in p for p in found), found
    assert len(found) == 3
