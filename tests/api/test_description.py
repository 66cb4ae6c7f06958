"""The API's description: valid OpenAPI 3.1, a documentation page that works under the CSP, and no 5xx for anything
the description allows a client to send (schemathesis)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import html5lib
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error

from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.tokens import Scope
from tests.common import builders
from tests.common.builders import give_consent

pytestmark = pytest.mark.django_db


def described() -> dict[str, Any]:
    answer = Client().get("/api/openapi.json")  # no token: the description shows nobody's data
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return json.loads(answer.content)  # type: ignore[no-any-return]


def test_the_description_is_valid_openapi_3_1() -> None:
    schema = described()
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # openapi-spec-validator picks the 3.1 validator from the version


def test_every_personal_data_operation_requires_a_purpose_from_the_policys_list() -> None:
    for path, item in described()["paths"].items():
        for operation in item.values():
            if path == "/api/alerts":  # public ids and what happened, never what a record says (famlink/api/alerts.py)
                continue
            purpose = next(p for p in operation["parameters"] if p["name"] == "purpose")
            assert purpose["required"] and purpose["in"] == "query", path
            assert purpose["schema"]["enum"] == [p.value for p in Purpose], path


def test_errors_are_described_as_problem_details() -> None:
    schema = described()
    for item in schema["paths"].values():
        for operation in item.values():
            for status in ("400", "401", "403", "404", "429"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"]
    assert {"type", "title", "status", "detail", "reasons"} <= set(schema["components"]["schemas"]["Problem"]["properties"])


def test_the_documentation_page_needs_no_script_and_nothing_from_elsewhere() -> None:
    answer = Client().get("/api/docs")
    assert answer.status_code == 200
    html = answer.content.decode()
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    h1s = tree.findall(".//h1")
    assert len(h1s) == 1 and tree.find(".//title").text.startswith(h1s[0].text)
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), "no id used twice"
    assert "script-src 'self'" in answer["Content-Security-Policy"]
    assert all(s.get("src", "/").startswith("/") for s in tree.iter("script")), "scripts from famlink only, none from a CDN"
    assert "http://" not in html and "https://" not in html.replace("https://www.w3.org", "")
    for path in described()["paths"]:
        assert path in html
    for scope in ("records:read", "people:search", "sharing:write"):
        assert scope in html
    assert 'id="problem-access-denied"' in html and 'id="problem-scope-missing"' in html


@contextmanager
def one_connection() -> Iterator[None]:
    """famlink's WSGI app on the test's database connection, kept open between requests (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@override_settings(FAMLINK_API_CALLS_PER_MINUTE=100_000)
def test_nothing_the_description_allows_answers_with_a_server_error() -> None:
    """schemathesis, with a valid token, against every operation: 4xx for what is wrong, never 5xx."""
    fam = builders.family("Fuzz")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    token = builders.service_token("fuzz", scopes=[s.value for s in Scope])
    with one_connection():
        statuses = fuzz(schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()), fam, token)
    assert 200 in statuses and any(400 <= s < 500 for s in statuses), "it reached the data and the refusals both"


def fuzz(schema: Any, fam: builders.Family, token: str) -> list[int]:
    """Call every operation with what its description allows (and, half the time, a real person's id); no 5xx."""
    real_ids = st.sampled_from([fam.child.public_id, fam.mother.public_id, fam.father.public_id])
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:

        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), real=st.sampled_from(["no", "any", "plain"]), person=real_ids)
        def call(case: Any, real: str, person: str) -> None:
            if real != "no" and case.path_parameters:  # a real person's id, with what else was drawn
                case.path_parameters.update({name: person for name in case.path_parameters})
            if real == "plain" and case.path_parameters and case.method == "GET":  # the plain read of the child
                case.path_parameters.update({name: fam.child.public_id for name in case.path_parameters})
                case.query = {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value}  # the child's family said yes to it
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            statuses.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        call()
    return statuses
