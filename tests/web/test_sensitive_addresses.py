"""A refuge address never reaches anyone it does not protect, on any route (issue 14, item 1).

Linkage marks a refuge as a sensitive address over the period families
lived there. The father the mother fled holds parental responsibility for
the children, so he may see their records, but never where they lived in
that period: not in their address history, not through a record made there,
on no page, download or API answer. The property test walks every
personal-data route in ``famlink.urls``, so a page added later is walked too.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from famlink.adapters import pdf
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.linkage.models import PairLink
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.rights import requests
from famlink.web.marks import RouteAccess, declared
from tests.common import builders
from tests.common.refuge import RefugeFamily, refuge_family
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as
from tests.web.routewalk import Route, fill, routes

pytestmark = pytest.mark.django_db
PASSWORD = "not-a-real-password-1"


@pytest.fixture(autouse=True)
def quick_passwords(settings: Any) -> None:
    """Accounts here are signed in directly: hashing each password as for real only slows every example."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _signed_in(person: Person, username: str) -> Client:
    create_parent(username, person, password=PASSWORD)
    return sign_in_as(CheckingClient(), Account.objects.get(user__username=username))


def _addresses(client: Client, person: Person) -> list[str]:
    answer = client.get(f"/api/persons/{person.public_id}/records", {"categories": "contact", "purpose": "rights.subject_access"})
    assert answer.status_code == 200, answer.content
    return [a["address"] for a in json.loads(answer.content)["addresses"]]


def test_the_father_never_sees_the_refuge_in_his_childs_address_history() -> None:
    """The issue's case: the child's own membership at the refuge carried no mark, so it was shown."""
    fam = refuge_family("Api")
    child = fam.went[0]
    dad = _addresses(_signed_in(fam.father, "dad-api"), child)
    assert dad, "he still sees the child's other homes"
    assert not [a for a in dad if fam.refuge_line.lower() in a.lower()]
    mum = _addresses(_signed_in(fam.mother, "mum-api"), child)
    assert any(fam.refuge_line.lower() in a.lower() for a in mum)  # she lived there with the child


def test_a_child_who_stayed_with_their_father_is_not_hidden_from_him() -> None:
    fam = refuge_family("Stayed", children=2, went=1)
    stayed = fam.children[1]
    assert stayed not in fam.went
    page = _signed_in(fam.father, "dad-stayed").get("/portal/records/").content.decode()
    assert stayed.display_name in page and "Oak Road" in page


def test_the_father_does_not_see_how_a_record_made_at_the_refuge_was_matched() -> None:
    fam = refuge_family("Links")
    child = fam.went[0]
    there = next(r for r in fam.refuge_records if r.assignments.get().person == child)
    home = next(r for r in fam.records if r not in fam.refuge_records and r.assignments.get().person == child)
    PairLink.objects.create(run=there.assignments.get().run, record_l=home, record_r=there, match_probability=0.99,
                            match_weight=8.0, levels=[{"comparison": "dob", "level": 3, "label": "same date of birth",
                                                       "weight": 6.0}])
    label = f"{there.source.name} {there.local_id}"
    assert label in _signed_in(fam.mother, "mum-links").get("/portal/links/").content.decode()
    dad = _signed_in(fam.father, "dad-links")
    assert child.display_name in dad.get("/portal/links/").content.decode()
    assert label not in dad.get("/portal/links/").content.decode()
    assert label not in dad.get("/portal/download/family.json").content.decode()


def _personal_routes() -> list[Route]:
    return [r for r in routes() if declared(r.view) is RouteAccess.PERSONAL_DATA]


def _urls(route: Route, fam: RefugeFamily, reference: str, entries: list[str]) -> Iterator[str]:
    """Every way to fill the route's ids with the family's: each person, each record made at the refuge."""
    if "record_id" in route.keys:
        for record in fam.refuge_records:
            owner = record.assignments.get().person
            yield fill(route, {"public_id": owner.public_id, "record_id": str(record.pk)})
        return
    if "entry" in route.keys:
        for entry in entries:
            yield fill(route, {"public_id": fam.father.public_id, "entry": entry})
        return
    people = [fam.father, fam.mother, *fam.children] if "public_id" in route.keys else [fam.father]
    for person in people:
        yield fill(route, {"public_id": person.public_id, "reference": reference})


def _leaks(body: bytes, fam: RefugeFamily) -> list[str]:
    text = body.decode(errors="replace").lower()
    return [s for s in (fam.refuge_line.lower(), fam.refuge_postcode.lower()) if s in text]


words = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=9)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(number=st.integers(1, 400), street=words, kind=st.sampled_from(["Lane", "Close", "Walk", "Row", "Yard"]),
       district=st.integers(10, 99), children=st.integers(1, 3), went=st.integers(1, 3),
       fled_days_ago=st.integers(400, 1500), stay_days=st.integers(60, 365), note=st.booleans(),
       stale=st.booleans())
def test_no_route_shows_a_refuge_address_to_an_adult_it_does_not_protect(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, number: int, street: str, kind: str,
    district: int, children: int, went: int, fled_days_ago: int, stay_days: int, note: bool, stale: bool,
) -> None:
    """Any family with a refuge, any route: nothing the father or a stranger gets holds its text.

    The PDF is checked as the HTML it is laid out from (its text is compressed
    inside the PDF file), by standing in for the renderer.
    """
    monkeypatch.setattr(pdf, "render", lambda html: html.encode())
    # Each example's log is rolled back, so each keeps its signed heads in a witness file of its own.
    monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_FILE", str(tmp_path_factory.mktemp("witness") / "tree-heads.jsonl"))
    with transaction.atomic():
        tag = "".join(c for c in street if c.isalpha()).title()
        fam = refuge_family(tag, refuge_line=f"{number} {street.title()} {kind}", refuge_postcode=f"ZZ{district} 9QQ",
                            children=children, went=min(went, children), fled_days_ago=fled_days_ago,
                            stay_days=stay_days, note_names_refuge=note, stale_after_leaving=stale)
        mum = _signed_in(fam.mother, f"mum-{tag}")
        assert any(fam.refuge_line.lower() in a.lower() for a in _addresses(mum, fam.mother))
        assert fam.refuge_line in mum.get("/portal/records/").content.decode()  # not vacuous: she sees it
        dad = _signed_in(fam.father, f"dad-{tag}")
        dad_user = User.objects.get(username=f"dad-{tag}")
        home_record = next(r for r in fam.records if r not in fam.refuge_records
                           and r.assignments.filter(person=fam.went[0]).exists())
        made = requests.report(actors.actor_for(dad_user), dad_user, fam.went[0], home_record.pk,
                               "request:context", "We lived at home then")
        publish()
        entries = [str(i) for i in AuditLogEntry.objects.filter(
            subject_id__in=[p.public_id for p in fam.children]).order_by("-index").values_list("index", flat=True)[:3]]
        stranger = _signed_in(builders.family("Stranger").mother, f"stranger-{tag}")
        walked = 0
        for route in _personal_routes():
            for url in _urls(route, fam, made.reference, entries):
                api = url.startswith("/api/")
                for params in ({}, {"categories": "contact"}) if api else ({},):
                    response = dad.get(url, params)
                    assert not _leaks(response.content, fam), f"{url} {params} showed the father the refuge"
                    walked += response.status_code == 200
                if api:
                    assert not _leaks(stranger.get(url, {"categories": "contact"}).content, fam)
        assert walked >= 10  # he reached his children's pages, downloads and the API, not only refusals
        transaction.set_rollback(True)
