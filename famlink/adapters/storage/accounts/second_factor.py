"""Time-based one-time codes (TOTP, RFC 6238) for staff, with pyotp.

A code works once: the time step it matched is stored, and a code from the
same or an earlier step is refused, so a code seen over someone's shoulder
cannot be replayed.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp
from django.http import HttpRequest
from django.utils import timezone

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import SignInRefused
from famlink.adapters.storage.accounts.models import AccessAttempt, Account
from famlink.adapters.storage.accounts.signin import client_ip
from famlink.core.digits import ascii_number

ISSUER = "famlink"
WRONG_CODE = "The code is not right. Enter the 6 numbers your authenticator app shows now."


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(account: Account, secret: str) -> str:
    """The ``otpauth://`` link an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=account.user.username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step this code belongs to (allowing one step of clock drift), or None."""
    code = "".join(code.split())
    if len(code) != 6 or ascii_number(code) is None:  # "²²²²²²" would crash compare_digest
        return None
    totp = pyotp.TOTP(secret)
    moment = timezone.now().timestamp() if now is None else now
    step = totp.timecode(datetime.fromtimestamp(moment, tz=UTC))
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def verify(request: HttpRequest, account: Account, code: str, *, secret: str | None = None) -> None:
    """Accept the code once, within the lock-out limits, or raise ``SignInRefused``."""
    ip = client_ip(request)
    username = account.user.username
    counted = lockout.attempt(AccessAttempt.Kind.SECOND_FACTOR, username, ip)
    step = matching_step(secret or account.totp_secret, code)
    if step is None or step <= account.totp_last_step:
        raise SignInRefused(WRONG_CODE)
    lockout.succeeded(counted)
    account.totp_last_step = step
    account.save(update_fields=["totp_last_step"])


def confirm_setup(request: HttpRequest, account: Account, secret: str, code: str) -> None:
    """Keep the new secret only once the app has shown it can make a right code."""
    verify(request, account, code, secret=secret)
    account.totp_secret = secret
    account.totp_confirmed_at = timezone.now()
    account.save(update_fields=["totp_secret", "totp_confirmed_at"])
