"""``GET /api/people``: a match the purpose may not show comes back with no details, only reasons and a route."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from tests.common import builders
from tests.common.builders import give_consent

pytestmark = pytest.mark.django_db


def search(token: str, **query: str) -> tuple[int, object]:
    answer = Client().get("/api/people", {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value, **query},
                          **builders.bearer(token))
    return answer.status_code, json.loads(answer.content)


def test_a_search_shows_who_the_purpose_allows_and_only_reasons_for_the_rest() -> None:
    fam = builders.family("Seek")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    token = builders.service_token("cms")
    before = AuditLogEntry.objects.count()
    status, matches = search(token, name="Seek")
    assert status == 200 and isinstance(matches, list)
    by_id = {m["person_id"]: m for m in matches}
    assert by_id[fam.child.public_id]["shown"] and by_id[fam.child.public_id]["name"] == "Child Seek"
    hidden = by_id[fam.mother.public_id]
    assert not hidden["shown"] and hidden["name"] is None and hidden["postcodes"] == [] and hidden["reasons"]
    assert AuditLogEntry.objects.count() - before >= len(matches)  # each match one door decision, logged


def test_another_familys_people_are_never_named_and_bad_terms_are_400() -> None:
    theirs = builders.family("Hidden")
    token = builders.service_token("cms")
    status, matches = search(token, name="Hidden")
    assert status == 200 and matches and not [s for s in theirs.secrets[:6] if s in json.dumps(matches)]
    assert search(token, name="Nobody Of That Name")[1] == []
    for bad in ({}, {"postcode": "nowhere"}, {"nhs_number": "123"}, {"date_of_birth": "tomorrow"}):
        status, body = search(token, **bad)
        assert status == 400 and body["type"] == "/api/docs#problem-invalid-input", bad  # type: ignore[index]
