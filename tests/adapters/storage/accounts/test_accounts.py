"""Lock-out windows and security codes (making accounts: tests/services/accounts; the commands: tests/cli)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.utils import timezone

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import TooManyAttempts
from famlink.adapters.storage.accounts.models import AccessAttempt
from famlink.adapters.storage.accounts.second_factor import matching_step

pytestmark = pytest.mark.django_db
KIND = AccessAttempt.Kind.PASSWORD


def test_a_success_clears_the_username_count_but_not_the_address_count() -> None:
    for _ in range(4):
        lockout.attempt(KIND, "sam", "10.0.0.1")  # a try counts as a failure until it succeeds
    lockout.succeeded(lockout.attempt(KIND, "sam", "10.0.0.1"))
    for _ in range(5):
        lockout.attempt(KIND, "sam", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        lockout.attempt(KIND, "sam", "10.0.0.2")


def test_old_failures_fall_out_of_the_window() -> None:
    for _ in range(5):
        lockout.attempt(KIND, "sam", None)
    with pytest.raises(TooManyAttempts):
        lockout.attempt(KIND, "sam", None)
    assert AccessAttempt.objects.count() == 5  # a refused try is not counted again
    AccessAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    lockout.attempt(KIND, "sam", None)


def test_security_codes_allow_one_step_of_clock_drift_only() -> None:
    secret = pyotp.random_base32()
    now = 1_700_000_000.0
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.fromtimestamp(now, tz=UTC))
    assert matching_step(secret, totp.at(now), now=now) == step
    assert matching_step(secret, totp.at(now - 30), now=now) == step - 1
    assert matching_step(secret, totp.at(now + 30), now=now) == step + 1
    assert matching_step(secret, totp.at(now - 90), now=now) is None
    assert matching_step(secret, "12345", now=now) is None
