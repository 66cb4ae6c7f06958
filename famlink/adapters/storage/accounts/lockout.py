"""Rate limits and lock-outs for passwords and codes, counted in the database.

Counting rows in the database (not in a worker's memory) means the limits
hold across every gunicorn worker and survive a restart. A lock-out is a
time window, not a flag: it ends by itself, so an attacker cannot lock a
parent out for good, only slow everyone down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.accounts.errors import TooManyAttempts
from famlink.adapters.storage.accounts.models import AccessAttempt


@dataclass(frozen=True)
class Limits:
    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_ip: int = 20
    keep: timedelta = timedelta(days=1)


def limits() -> Limits:
    """The limits, adjustable in settings (``FAMLINK_SIGN_IN_LIMITS``) for a council's policy."""
    configured = getattr(settings, "FAMLINK_SIGN_IN_LIMITS", {})
    return Limits(**configured)


def _normal(username: str) -> str:
    return username.strip().lower()[:150]


def check_allowed(kind: str, username: str, ip: str | None) -> None:
    """Refuse before checking anything secret if this username or address has failed too often."""
    rules = limits()
    since = timezone.now() - rules.window
    recent = AccessAttempt.objects.filter(kind=kind, at__gte=since)
    name = _normal(username)
    last_success = (
        recent.filter(username=name, succeeded=True).order_by("-at").values_list("at", flat=True).first()
    )
    by_name = recent.filter(username=name, succeeded=False)
    if last_success is not None:
        by_name = by_name.filter(at__gt=last_success)
    if by_name.count() >= rules.per_username:
        raise TooManyAttempts(_locked_message(rules))
    if ip and recent.filter(ip=ip, succeeded=False).count() >= rules.per_ip:
        raise TooManyAttempts(_locked_message(rules))


def record(kind: str, username: str, ip: str | None, *, succeeded: bool) -> None:
    now = timezone.now()
    AccessAttempt.objects.create(kind=kind, username=_normal(username), ip=ip or None, succeeded=succeeded, at=now)
    if succeeded:
        AccessAttempt.objects.filter(Q(at__lt=now - limits().keep)).delete()


def _locked_message(rules: Limits) -> str:
    minutes = int(rules.window.total_seconds() // 60)
    return f"There have been too many tries. Wait {minutes} minutes, then try again."
