"""Signing in with a password, and the half-way state a member of staff is in before their code.

A member of staff is not signed in (Django's ``login``) until their second
factor passes: until then the session holds only a short-lived "pending"
marker, so a stolen password alone opens nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.utils import timezone

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import NotSignedIn, SignInRefused
from famlink.adapters.storage.accounts.models import AccessAttempt, Account

PENDING_KEY = "famlink.pending_sign_in"
SECOND_FACTOR_KEY = "famlink.second_factor"
PENDING_FOR = timedelta(minutes=5)
WRONG_PASSWORD = "The username or password is not right. Check them and try again."


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address as the server saw it (set a trusted proxy's header in front, not here)."""
    return request.META.get("REMOTE_ADDR") or None


def check_password(request: HttpRequest, username: str, password: str) -> Account:
    """The account for this username and password, within the lock-out limits."""
    ip = client_ip(request)
    counted = lockout.attempt(AccessAttempt.Kind.PASSWORD, username, ip)
    user = authenticate(None, username=username, password=password)
    account = getattr(user, "famlink_account", None) if user is not None else None
    if account is None or not user.is_active:  # type: ignore[union-attr]
        raise SignInRefused(WRONG_PASSWORD)
    lockout.succeeded(counted)
    return account


def begin(request: HttpRequest, account: Account) -> str:
    """After the password: sign a parent in, or hold a member of staff until their code.

    Returns what comes next: ``done``, ``second_factor`` or ``set_up_second_factor``.
    """
    if account.kind == Account.Kind.PARENT:
        login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
        return "done"
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "account": account.pk,
        "until": (timezone.now() + PENDING_FOR).isoformat(),
    }
    return "second_factor" if account.totp_confirmed_at else "set_up_second_factor"


def pending_account(request: HttpRequest) -> Account:
    """The member of staff half-way through signing in, or ``NotSignedIn``."""
    pending = request.session.get(PENDING_KEY)
    if not pending or datetime.fromisoformat(pending["until"]) < timezone.now():
        request.session.pop(PENDING_KEY, None)
        raise NotSignedIn("Your sign-in timed out. Sign in again.")
    account = Account.objects.select_related("user").filter(pk=pending["account"], user__is_active=True).first()
    if account is None:
        raise NotSignedIn("Sign in again.")
    return account


def finish(request: HttpRequest, account: Account) -> None:
    """Second factor passed: now sign the member of staff in, on a fresh session key."""
    request.session.pop(PENDING_KEY, None)
    login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SECOND_FACTOR_KEY] = True
