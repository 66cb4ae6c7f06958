"""The one way a parent's account reaches a Person: a one-time code from the council.

The data team checks who the parent is (in person, or by letter to the
address the council holds) and issues a code bound to that Person. The parent
signs in and enters it. Only a hash of the secret part is stored; a code
expires, works once, and dies after a few wrong tries. There is no
self-service claim: nothing a parent types can point their account at a
record without a code the council issued for that record.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import NotAllowed, VerificationRefused
from famlink.adapters.storage.accounts.models import AccessAttempt, Account, VerificationCode
from famlink.adapters.storage.family.models import Person
from famlink.core.errors import Conflict

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
LOOKUP_LENGTH = 4
SECRET_LENGTH = 8
VALID_FOR = timedelta(days=28)
MAX_TRIES = 5
NOT_RIGHT = "The code is not right. Check the letter from the council and try again."


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _following_merges(person: Person) -> Person:
    while person.merged_into_id is not None:
        person = Person.objects.get(pk=person.merged_into_id)
    return person


def issue(person: Person, *, issued_by: str, valid_for: timedelta = VALID_FOR) -> str:
    """A new code for this Person; the plain code is returned once and never stored."""
    if Account.objects.filter(person=person).exists():
        raise Conflict(f"{person.public_id} already has a verified account.")
    secret = _random(SECRET_LENGTH)
    now = timezone.now()
    for _ in range(20):
        lookup = _random(LOOKUP_LENGTH)
        if not VerificationCode.objects.filter(lookup=lookup).exists():
            break
    else:  # pragma: no cover - one in a million, twenty times
        raise Conflict("Could not make a unique code; try again.")
    VerificationCode.objects.create(
        person=person, lookup=lookup, secret_hash=make_password(secret), issued_by=issued_by,
        issued_at=now, expires_at=now + valid_for,
    )
    return f"{lookup}-{secret[:4]}-{secret[4:]}"


def _parse(code: str) -> tuple[str, str] | None:
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(clean) != LOOKUP_LENGTH + SECRET_LENGTH:
        return None
    return clean[:LOOKUP_LENGTH], clean[LOOKUP_LENGTH:]


def _refusal(row: VerificationCode | None, secret: str, now: datetime) -> str | None:
    if row is None:
        return NOT_RIGHT
    if row.used_at is not None:
        return "This code has already been used. Ask the council for a new one."
    if row.expires_at < now:
        return "This code has expired. Ask the council for a new one."
    if row.attempts >= MAX_TRIES:
        return "This code has been tried too many times. Ask the council for a new one."
    if not check_password(secret, row.secret_hash):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return NOT_RIGHT
    if Account.objects.filter(person=row.person).exists():
        return "These records are already linked to another account. Contact the council."
    return None


def redeem(account: Account, code: str, *, ip: str | None) -> Person:
    """Tie this parent's account to the Person the code was issued for, or refuse."""
    if account.kind != Account.Kind.PARENT:
        raise NotAllowed("Only a parent's account can be verified with a code.")
    if account.person_id is not None:
        return account.person  # type: ignore[return-value]
    username = account.user.username
    counted = lockout.attempt(AccessAttempt.Kind.VERIFICATION, username, ip)
    parsed = _parse(code)
    now = timezone.now()
    with transaction.atomic():
        row = None
        if parsed is not None:
            row = VerificationCode.objects.select_for_update().select_related("person").filter(lookup=parsed[0]).first()
        refusal = _refusal(row, parsed[1] if parsed else "", now)
        if refusal is None and row is not None:
            row.used_at, row.used_by = now, account
            row.save(update_fields=["used_at", "used_by"])
            link_person(account, _following_merges(row.person), method="code")
    if refusal is not None:
        raise VerificationRefused(refusal)  # the try stays counted: it was written before the check
    lockout.succeeded(counted)
    return account.person  # type: ignore[return-value]


def link_person(account: Account, person: Person, *, method: str) -> None:
    """The single place an account is tied to a Person (by code, or by the data team in person)."""
    account.person = person
    account.verified_at = timezone.now()
    account.verified_by = method
    account.save(update_fields=["person", "verified_at", "verified_by"])
