"""``GET /api/alerts``: the caller's own alerts, public ids and what happened, never another's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.caseload import allocate
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_a_service_account_reads_its_own_alerts_only() -> None:
    fam, other = builders.family("Alert"), builders.family("Elsewhere")
    mine = builders.service_token("cms")
    theirs = builders.service_token("other-cms")
    allocate("service:cms", fam.child.public_id)
    allocate("service:other-cms", other.child.public_id)
    raise_alert(fam.child, "new_record", "A new record from Health Trust")
    raise_alert(other.child, "new_record", "Something elsewhere")
    answer = Client().get("/api/alerts", **builders.bearer(mine))
    assert answer.status_code == 200
    alerts = json.loads(answer.content)
    assert [(a["person_id"], a["summary"]) for a in alerts] == [(fam.child.public_id, "A new record from Health Trust")]
    assert "Child Alert" not in answer.content.decode()  # a public id, never a name
    assert Client().get("/api/alerts").status_code == 401
    narrow = builders.service_token("narrow", scopes=["records:read"])
    assert Client().get("/api/alerts", **builders.bearer(narrow)).status_code == 403
    assert json.loads(Client().get("/api/alerts", **builders.bearer(theirs)).content)[0]["person_id"] == \
        other.child.public_id
