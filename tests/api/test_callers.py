"""A token calls only the operations its scopes name: 403 before any lookup otherwise."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.api.routes import api
from famlink.services.accounts.tokens import Scope
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_a_token_without_the_operations_scope_is_403_and_nothing_is_looked_up() -> None:
    fam = builders.family("scope")
    token = builders.service_token("narrow", scopes=[Scope.CHRONOLOGY_READ.value])
    before = AuditLogEntry.objects.count()
    for person in (fam.child.public_id, "PNOSUCH"):
        answer = Client().get(f"/api/persons/{person}/records?purpose=service.direct_delivery", **builders.bearer(token))
        assert answer.status_code == 403 and answer["Content-Type"] == "application/problem+json"
        body = json.loads(answer.content)
        assert body["type"] == "/api/docs#problem-scope-missing" and "records:read" in body["detail"]
    assert AuditLogEntry.objects.count() == before  # not even the refusal of an unknown id tells it exists


def test_every_operation_names_one_scope_and_the_description_says_which() -> None:
    schema = api.get_openapi_schema()
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert operations
    for operation in operations:
        assert operation["x-famlink-scope"] in {s.value for s in Scope}
        assert operation["security"] == [{"BearerToken": []}]
        assert f"`{operation['x-famlink-scope']}`" in operation["description"]
