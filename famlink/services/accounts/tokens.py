"""Service accounts: a case-management system calling the API with a scoped bearer token.

A service account is a Django user (with no password: it cannot sign in to
pages), an ``Account`` of kind ``service`` and a ``StaffActor`` with a role,
an organisation and purposes, so the policy door decides for it exactly as
for a member of staff (``actor_for`` is unchanged). Its token is shown once;
only a SHA-256 hash of it is kept, compared in constant time. A token
expires, can be revoked, and names the API operations it may call (its
scopes); the policy door still decides every read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.accounts.access import STAFF_ROLES
from famlink.adapters.storage.accounts.models import Account, ApiToken
from famlink.adapters.storage.governance.models import StaffActor
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.services.accounts.provisioning import authorise_staff


class Scope(StrEnum):
    """An API operation a token may call (docs/api.md lists which endpoint needs which)."""

    PEOPLE_SEARCH = "people:search"
    FAMILIES_READ = "families:read"
    CHRONOLOGY_READ = "chronology:read"
    RECORDS_READ = "records:read"
    FLAGS_READ = "flags:read"
    SHARING_WRITE = "sharing:write"
    ALERTS_READ = "alerts:read"


#: What a token may do when no ``--scope`` is given: every read; a write is asked for by name.
READ_SCOPES: tuple[Scope, ...] = tuple(s for s in Scope if s.value.endswith((":read", ":search")))
#: ``fl_`` + the 12 hex characters that find the row + the secret.
PREFIX = "fl_"
LOOKUP_LENGTH = 12
SERVICE_USERNAME = "service:{name}"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
#: Hashed when a token matches no row, so a wrong lookup takes as long as a wrong secret.
_NOTHING = hashlib.sha256(b"no such token").hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token, printed once: famlink keeps only its hash."""

    token: str
    name: str
    username: str
    role: str
    organisation: str | None
    purposes: list[str]
    scopes: list[str]
    expires_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Caller:
    """Who a bearer token speaks for: the service's user (for ``actor_for``) and its scopes."""

    user: Any
    scopes: frozenset[Scope]
    token_id: int | None  # None: a signed-in session, not a token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput("use 1 to 60 letters, digits, dots, dashes or underscores, starting with a letter or digit",
                           where="--name")
    return name


def _scopes(names: Sequence[str]) -> list[Scope]:
    chosen: list[Scope] = []
    for name in names or [s.value for s in READ_SCOPES]:
        try:
            scope = Scope(name)
        except ValueError:
            raise InvalidInput(f"{name} is not a scope; use one of {', '.join(Scope)}.", where="--scope") from None
        if scope not in chosen:
            chosen.append(scope)
    return chosen


def default_days() -> int:
    return int(settings.FAMLINK_API_TOKEN_DAYS)


@transaction.atomic
def create_service(name: str, role: str, *, organisation: str | None = None, purposes: Sequence[str] | None = None,
                   scopes: Sequence[str] = (), days: int | None = None) -> IssuedToken:
    """A service account (made, or its role and purposes updated) and a new token for it.

    Giving the name of an existing service issues another token (to rotate
    one before it expires); its older tokens work until they expire or are
    revoked (``revoke_service``).
    """
    name = _valid_name(name)
    if role not in {r.value for r in STAFF_ROLES}:
        raise InvalidInput(f"{role} is not a staff role; use one of {', '.join(STAFF_ROLES)}.", where="--role")
    days = default_days() if days is None else days
    if not 1 <= days <= 3660:
        raise InvalidInput("a token lasts from 1 to 3660 days", where="--days")
    chosen = _scopes(scopes)
    username = SERVICE_USERNAME.format(name=name)
    users = get_user_model()
    user = users.objects.filter(username__iexact=username).first()
    if user is None:
        user = users.objects.create_user(username=username, password=None)  # no password: it cannot sign in to pages
        account = Account.objects.create(user=user, kind=Account.Kind.SERVICE)
    else:
        account = Account.objects.get(user=user)
        if account.kind != Account.Kind.SERVICE:
            raise Conflict(f"{username} is not a service account.", where="--name")
    staff = authorise_staff(user, role, organisation=organisation, purposes=purposes)
    lookup = secrets.token_hex(LOOKUP_LENGTH // 2)
    token = f"{PREFIX}{lookup}{secrets.token_urlsafe(32)}"
    now = timezone.now()
    row = ApiToken.objects.create(account=account, name=name, lookup=lookup, token_hash=_hash(token),
                                  scopes=[s.value for s in chosen], created_at=now, expires_at=now + timedelta(days=days))
    return IssuedToken(token=token, name=name, username=username, role=staff.role,
                       organisation=staff.organisation.name if staff.organisation else None,
                       purposes=list(staff.purposes), scopes=list(row.scopes), expires_at=row.expires_at.isoformat())


def caller_for(token: str, *, now: datetime | None = None) -> Caller | None:
    """The service a bearer token speaks for, or None: unknown, wrong, expired or revoked all look the same."""
    now = now or timezone.now()
    lookup = token[len(PREFIX):len(PREFIX) + LOOKUP_LENGTH] if token.startswith(PREFIX) else ""
    row = (ApiToken.objects.select_related("account__user").filter(lookup=lookup).first()
           if len(lookup) == LOOKUP_LENGTH else None)
    matches = hmac.compare_digest(_hash(token), row.token_hash if row is not None else _NOTHING)
    if row is None or not matches or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.account.kind != Account.Kind.SERVICE or not row.account.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):  # one write a minute, not per call
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    scopes = frozenset(Scope(s) for s in row.scopes if s in Scope._value2member_map_)
    return Caller(user=row.account.user, scopes=scopes, token_id=row.pk)


def _service(name: str) -> Account:
    account = (Account.objects.select_related("user")
               .filter(kind=Account.Kind.SERVICE, user__username__iexact=SERVICE_USERNAME.format(name=name)).first())
    if account is None:
        raise NotFound(f"No service account called {name}.", where="--name")
    return account


def revoke_service(name: str) -> int:
    """Revoke every token of the service ``name`` at once; the number revoked."""
    account = _service(_valid_name(name))
    return ApiToken.objects.filter(account=account, revoked_at__isnull=True).update(revoked_at=timezone.now())


def list_services() -> list[dict[str, Any]]:
    """Every service account, with its role and its tokens (never the tokens themselves)."""
    out: list[dict[str, Any]] = []
    accounts = Account.objects.filter(kind=Account.Kind.SERVICE).select_related("user").order_by("user__username")
    staff = {s.user_id: s for s in StaffActor.objects.select_related("organisation").filter(user__in=[a.user for a in accounts])}
    for account in accounts:
        actor = staff.get(account.user_id)
        out.append({
            "name": account.user.username.removeprefix(SERVICE_USERNAME.format(name="")),
            "role": actor.role if actor else None,
            "organisation": actor.organisation.name if actor and actor.organisation else None,
            "purposes": list(actor.purposes) if actor else [],
            "tokens": [{"lookup": t.lookup, "scopes": t.scopes, "created_at": t.created_at.isoformat(),
                        "expires_at": t.expires_at.isoformat(),
                        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
                       for t in account.api_tokens.order_by("created_at")],
        })
    return out
