"""Service accounts' bearer tokens: shown once, kept as a hash, expiring, revocable, scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.accounts.models import Account, ApiToken
from famlink.adapters.storage.governance import actors
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.tokens import (
    PREFIX,
    READ_SCOPES,
    Scope,
    caller_for,
    create_service,
    list_services,
    revoke_service,
)

pytestmark = pytest.mark.django_db


def test_a_token_speaks_for_its_service_as_a_member_of_staff_would() -> None:
    issued = create_service("cms", "practitioner", purposes=[Purpose.DIRECT_SERVICE_DELIVERY.value])
    caller = caller_for(issued.token)
    assert caller is not None and caller.scopes == frozenset(READ_SCOPES)
    actor = actors.actor_for(caller.user)
    assert actor.role is Role.PRACTITIONER and actor.purposes == frozenset({Purpose.DIRECT_SERVICE_DELIVERY})
    assert Account.objects.get(user=caller.user).kind == Account.Kind.SERVICE
    assert not caller.user.has_usable_password()  # it cannot sign in to pages
    assert Scope.SHARING_WRITE not in caller.scopes  # a write is asked for by name


def test_only_a_hash_is_kept_and_a_near_miss_is_refused() -> None:
    token = create_service("cms", "practitioner").token
    row = ApiToken.objects.get()
    assert token not in {row.lookup, row.token_hash, str(row.scopes)}
    assert len(row.token_hash) == 64 and token.startswith(PREFIX + row.lookup)
    assert caller_for(token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # right lookup, wrong secret
    assert caller_for(token) is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(guess=st.text(max_size=80) | st.text(alphabet="0123456789abcdef", min_size=12, max_size=12).map(lambda s: PREFIX + s))
def test_nothing_made_up_is_a_token(guess: str) -> None:
    assert caller_for(guess) is None


def test_tokens_expire_and_are_revoked_all_at_once() -> None:
    short = create_service("cms", "practitioner", days=1).token
    again = create_service("cms", "practitioner").token  # the same service, a second token (rotation)
    assert caller_for(short, now=timezone.now() + timedelta(days=1, seconds=1)) is None
    assert caller_for(again) is not None and User.objects.filter(username="service:cms").count() == 1
    assert revoke_service("cms") == 2
    assert caller_for(short) is None and caller_for(again) is None
    listed = list_services()
    assert [s["name"] for s in listed] == ["cms"] and all(t["revoked_at"] for t in listed[0]["tokens"])
    assert short not in str(listed) and again not in str(listed)


def test_scopes_days_names_and_roles_are_checked() -> None:
    issued = create_service("cms", "practitioner", scopes=["chronology:read", "sharing:write"])
    assert issued.scopes == ["chronology:read", "sharing:write"]
    with pytest.raises(InvalidInput, match="not a scope"):
        create_service("cms", "practitioner", scopes=["everything"])
    with pytest.raises(InvalidInput, match="1 to 3660 days"):
        create_service("cms", "practitioner", days=0)
    with pytest.raises(InvalidInput, match="not a staff role"):
        create_service("cms", "parent")
    with pytest.raises(InvalidInput, match="letters, digits"):
        create_service("cms system", "practitioner")
    with pytest.raises(NotFound):
        revoke_service("nobody")
