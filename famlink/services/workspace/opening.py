"""Purpose first: a practitioner opens a family by stating a purpose and a case reference.

Nothing in the family view or the chronology is shown until an opening
exists, and what they show is what the door allows for the opening's
purpose. Opening is itself an access: the door decides on the person's
identity for that purpose and writes a ``family:opened`` entry whose
justification names the case, in one transaction with the ``FamilyOpening``
row. A refusal is logged and raised with its reasons and the lawful route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.workspace.models import FamilyOpening
from famlink.core.audit import AuditEvent
from famlink.core.errors import AccessDenied, InvalidInput
from famlink.core.policy import Actor
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.reading import (
    authorisation,
    lawful_route,
    person_by_id,
    read_person,
    reason_texts,
)

#: How long an opening lasts: a working day, then the purpose is stated again.
OPENING_HOURS = 8
CASE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /._-]{1,58}[A-Za-z0-9]")


@dataclass(frozen=True)
class Opening:
    """A family opened for one purpose under one case reference, until ``expires_at``."""

    person_id: str
    purpose: Purpose
    case_reference: str
    opened_at: datetime
    expires_at: datetime
    break_glass: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "purpose": self.purpose.value, "case_reference": self.case_reference,
                "opened_at": self.opened_at.isoformat(), "expires_at": self.expires_at.isoformat(),
                "break_glass": self.break_glass}


def case_reference_of(text: object) -> str:
    """A case reference as typed: 3 to 60 letters, digits, spaces and ``/ . _ -``, starting and ending with one
    of the first two."""
    cleaned = " ".join(str(text or "").split())
    if not cleaned:
        raise InvalidInput("Enter the case reference you are working under", where="case_reference")
    if not CASE_REFERENCE.fullmatch(cleaned):
        raise InvalidInput("A case reference is 3 to 60 letters, digits, spaces and / . _ -, starting and ending "
                           "with a letter or digit", where="case_reference")
    return cleaned


def purpose_of(value: object) -> Purpose:
    """A purpose named in a form or a URL, or a clear error naming the field."""
    if isinstance(value, Purpose):
        return value
    try:
        return Purpose(str(value or ""))
    except ValueError:
        raise InvalidInput("Choose the purpose you are working for", where="purpose") from None


def _staff(actor: Actor) -> StaffActor:
    staff = StaffActor.objects.filter(user__username=actor.id).first()
    if staff is None:
        raise AccessDenied("Only a member of staff can open a family.")
    return staff


def _opening(row: FamilyOpening) -> Opening:
    return Opening(person_id=row.person.public_id, purpose=Purpose(row.purpose), case_reference=row.case_reference,
                   opened_at=row.opened_at, expires_at=row.expires_at, break_glass=row.break_glass_id)


def open_family(actor: Actor, person_id: str, purpose: Purpose, case_reference: str, *,
                break_glass: int | None = None, now: datetime | None = None) -> Opening:
    """Open the family of ``person_id`` for ``purpose`` under ``case_reference`` (the door decides, and logs it)."""
    purpose = purpose_of(purpose)
    reference = case_reference_of(case_reference)
    staff = _staff(actor)
    person = person_by_id(person_id)
    glass = authorisation(break_glass)
    now = now or timezone.now()
    made: list[FamilyOpening] = []

    # written inside the door's transaction, with its entry (read_person's first door call)
    read = read_person(actor, purpose, person, action=AuditEvent.FAMILY_OPENED, break_glass=glass,
                       justification=f"case {reference}", records=False, addresses=False, now=now,
                       on_allow=lambda: made.append(FamilyOpening.objects.create(
                           staff=staff, person=person, purpose=purpose.value, case_reference=reference,
                           break_glass=glass, opened_at=now, expires_at=now + timedelta(hours=OPENING_HOURS))))
    if not read.shown:
        refused = read.held_back[0]
        raise AccessDenied(" ".join((*refused.reasons, f"Lawful route: {refused.route}")), codes=refused.codes)
    return _opening(made[0])


def current_opening(actor: Actor, person_id: str, *, now: datetime | None = None) -> Opening | None:
    """This actor's newest opening of this person that has not run out (None: state a purpose first)."""
    now = now or timezone.now()
    row = (FamilyOpening.objects.filter(staff__user__username=actor.id, person__public_id=str(person_id)[:20],
                                        opened_at__lte=now, expires_at__gt=now)
           .select_related("person").order_by("-opened_at", "-pk").first())
    return _opening(row) if row is not None else None


__all__ = ["OPENING_HOURS", "Opening", "case_reference_of", "current_opening", "lawful_route", "open_family",
           "purpose_of", "reason_texts"]
