"""The API's front gate: nobody unknown gets past it, and nobody calls it without limit.

An unauthenticated call used to reach the policy door: 403 for a real
person, 404 for an unknown id (telling anyone which ids exist), and an entry
in that family's access log each time. Now it is a 401 before any lookup.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from tests.common import builders
from tests.common.builders import give_consent
from tests.common.concurrency import at_once

pytestmark = pytest.mark.django_db
FIXED_MOMENT = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)


@contextmanager
def freeze(moment: datetime) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def test_an_anonymous_call_is_401_before_any_lookup_and_logs_nothing() -> None:
    fam = builders.family("gate")
    before = AuditLogEntry.objects.count()
    anonymous = Client()
    real = [anonymous.get(f"/api/persons/{fam.child.public_id}/records") for _ in range(10)]
    unknown = anonymous.get("/api/persons/PNOSUCHPERSON/records")
    elsewhere = anonymous.get("/api/no-such-endpoint")
    for response in [*real, unknown, elsewhere]:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="famlink"'
        assert response["Content-Type"] == "application/problem+json"
        assert json.loads(response.content) == {
            "type": "/api/docs#problem-not-signed-in", "title": "Unauthorized", "status": 401,
            "detail": "Send a bearer token (Authorization: Bearer <token>) or sign in first."}
        assert "no-store" in response["Cache-Control"]
    assert AuditLogEntry.objects.count() == before  # nobody was asked about, so no family's log shows a call


def practitioner(name: str) -> Client:
    client = Client()
    client.force_login(builders.staff(name=name).user)
    return client


@override_settings(FAMLINK_API_CALLS_PER_MINUTE=3)
def test_each_account_has_its_own_limit_and_is_told_when_to_come_back() -> None:
    fam = builders.family("limit")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    url = f"/api/persons/{fam.child.public_id}/records?purpose={Purpose.DIRECT_SERVICE_DELIVERY.value}"
    busy, other = practitioner("busy"), practitioner("other")
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 200]
    logged = AuditLogEntry.objects.count()
    refused = busy.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert json.loads(refused.content)["detail"].startswith("Too many calls: the limit is 3 a minute.")
    assert AuditLogEntry.objects.count() == logged  # refused at the gate: nothing was read
    assert other.get(url).status_code == 200  # another account is not slowed by this one


@pytest.mark.django_db(transaction=True)
@override_settings(FAMLINK_API_CALLS_PER_MINUTE=5)
def test_calls_sent_at_once_never_pass_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """12 calls at once, each on its own database connection, against a limit of 5: 5 answered."""
    fam = builders.family("burst")
    user = builders.staff(name="burst").user
    monkeypatch.setattr(timezone, "now", lambda: FIXED_MOMENT)  # all 12 fall in one minute
    statuses: list[int] = []
    guard = threading.Lock()

    def call(i: int) -> None:
        client = Client()
        client.force_login(user)
        response = client.get(f"/api/persons/{fam.child.public_id}/records",
                              {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
        with guard:
            statuses.append(response.status_code)

    at_once(12, call)
    assert sorted(statuses) == [403] * 5 + [429] * 7  # no consent given: the door says no, and logs it


def test_a_bad_expired_or_revoked_token_is_401_before_any_lookup() -> None:
    from famlink.services.accounts.tokens import revoke_service

    fam = builders.family("tokens")
    url = f"/api/persons/{fam.child.public_id}/records?purpose=service.direct_delivery"
    expired = builders.service_token("old", days=1)
    revoked = builders.service_token("gone")
    revoke_service("gone")
    before = AuditLogEntry.objects.count()
    later = timezone.now() + timedelta(days=2)
    with freeze(later):
        answers = [Client().get(url, **builders.bearer(t)) for t in (expired, revoked, "fl_nothing", "")]
    answers.append(Client().get(url, HTTP_AUTHORIZATION=f"Basic {revoked}"))
    for answer in answers:
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == 'Bearer realm="famlink", error="invalid_token"'
        assert json.loads(answer.content)["type"] == "/api/docs#problem-not-signed-in"
    assert AuditLogEntry.objects.count() == before


def test_a_token_wins_over_a_session_and_a_session_only_reads() -> None:
    fam = builders.family("both")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    signed_in = practitioner("both")
    url = f"/api/persons/{fam.child.public_id}/records?purpose=service.direct_delivery"
    assert signed_in.get(url).status_code == 200
    assert signed_in.get(url, **builders.bearer("fl_wrong")).status_code == 401  # a bad token is not rescued
    written = signed_in.post(url, {})
    assert written.status_code == 403 and "bearer token" in json.loads(written.content)["detail"]


@override_settings(FAMLINK_API_CALLS_PER_MINUTE=2)
def test_a_service_account_has_the_same_limit_counted_per_account() -> None:
    fam = builders.family("svc-limit")
    token = builders.service_token("busy-cms")
    url = f"/api/persons/{fam.child.public_id}/records?purpose=service.direct_delivery"
    statuses = [Client().get(url, **builders.bearer(token)).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]  # refused by the policy (no consent) twice, then by the limit
    refused = Client().get(url, **builders.bearer(token))
    assert refused["Content-Type"] == "application/problem+json" and 1 <= int(refused["Retry-After"]) <= 60


def test_a_method_an_address_does_not_answer_is_405_problem_details() -> None:
    fam = builders.family("method")
    token = builders.service_token("cms")
    answer = Client().delete(f"/api/families/{fam.child.public_id}?purpose=service.direct_delivery",
                             **builders.bearer(token))
    assert answer.status_code == 405 and answer["Content-Type"] == "application/problem+json"
    assert answer["Allow"] == "GET" and json.loads(answer.content)["type"] == "/api/docs#problem-method-not-allowed"


def test_a_member_of_staff_reads_with_a_session_only_after_their_security_code() -> None:
    from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY

    fam = builders.family("half")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    account = builders.practitioner_account("half-signed-in")
    client = Client()
    client.force_login(account.user)  # the password, not yet the code
    url = f"/api/persons/{fam.child.public_id}/records?purpose=service.direct_delivery"
    refused = client.get(url)
    assert refused.status_code == 401 and "security code" in json.loads(refused.content)["detail"]
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    assert client.get(url).status_code == 200
