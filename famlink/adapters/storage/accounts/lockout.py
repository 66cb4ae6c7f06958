"""Rate limits and lock-outs for passwords, codes and API calls, counted in the database.

Counting rows in the database (not in a worker's memory) means the limits
hold across every gunicorn worker and survive a restart. A lock-out is a
time window, not a flag: it ends by itself, so an attacker cannot lock a
parent out for good, only slow everyone down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from famlink.adapters.storage.accounts.errors import TooManyAttempts, TooManyCalls
from famlink.adapters.storage.accounts.models import AccessAttempt, ApiCallCount


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


def attempt(kind: str, username: str, ip: str | None) -> AccessAttempt:
    """Count one try before anything secret is checked, or refuse it if there have been too many.

    The try is written at once, as a failure, under a lock on its username and
    its address: tries sent at the same moment are counted one after another,
    so 12 at once against a limit of 5 are 5 checks, not 12. ``succeeded``
    turns it into a success once the secret has been checked.
    """
    rules = limits()
    name = _normal(username)
    with transaction.atomic():
        _one_at_a_time(kind, name, ip)
        now = timezone.now()
        recent = AccessAttempt.objects.filter(kind=kind, at__gte=now - rules.window)
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
        return AccessAttempt.objects.create(kind=kind, username=name, ip=ip or None, succeeded=False, at=now)


def succeeded(attempt: AccessAttempt) -> None:
    """The secret was right: this try no longer counts against the username."""
    attempt.succeeded = True
    attempt.save(update_fields=["succeeded"])
    AccessAttempt.objects.filter(at__lt=timezone.now() - limits().keep).delete()


#: The first key of famlink's two-key PostgreSQL advisory locks on sign-in tries ("try!" in ASCII);
#: the two-key space never meets the audit log's one-key lock.
TRIES_LOCK = 0x74727921


def _one_at_a_time(kind: str, name: str, ip: str | None) -> None:
    """Hold, to the end of the transaction, a lock on this username's tries and this address's.

    SQLite needs nothing more: famlink opens its transactions IMMEDIATE, which
    takes the database's one write lock. On PostgreSQL an advisory lock per
    username and per address, always taken in the same order, so two tries
    cannot wait on each other.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"{kind}:username:{name}", *([f"{kind}:ip:{ip}"] if ip else [])})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [TRIES_LOCK, key])


def count_call(client: str, per_minute: int) -> None:
    """Count one API call by ``client`` this minute, or refuse it with ``TooManyCalls``.

    A fixed window per minute: simple, and the same on every worker. The
    count goes up only ``WHERE calls < per_minute``, one statement, so calls
    arriving at once can never take the count past the limit.
    """
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    within = ApiCallCount.objects.filter(client=client, minute=minute, calls__lt=per_minute)
    if within.update(calls=F("calls") + 1):
        return
    if per_minute > 0 and not ApiCallCount.objects.filter(client=client, minute=minute).exists():
        try:
            with transaction.atomic():
                ApiCallCount.objects.create(client=client, minute=minute, calls=1)
        except IntegrityError:  # another worker counted this client's first call of the minute just now
            if within.update(calls=F("calls") + 1):
                return
        else:
            ApiCallCount.objects.filter(minute__lt=minute - timedelta(hours=1)).delete()
            return
    wait = max(1, math.ceil((minute + timedelta(minutes=1) - now).total_seconds()))
    raise TooManyCalls(f"Too many calls: the limit is {per_minute} a minute. Try again in {wait} seconds.",
                       retry_after=wait)


def _locked_message(rules: Limits) -> str:
    minutes = int(rules.window.total_seconds() // 60)
    return f"There have been too many tries. Wait {minutes} minutes, then try again."
