"""The caseload: which members of staff work with which families, as the data team or a manager records it.

An allocation is the council's own working record, not a record about the
family from an agency: it says who to alert when something new happens
about a family, and who the professional network is. Only staff who act as
practitioners or safeguarding leads hold a caseload.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.workspace.alerting import family_of
from famlink.adapters.storage.workspace.models import Alert, CaseAllocation
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.policy import Actor
from famlink.core.roles import Role

#: The roles whose members hold a caseload.
CASELOAD_ROLES = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)


@dataclass(frozen=True)
class CaseRow:
    """One family on a caseload: the person allocated (by public id, no name), and the unread alerts about them."""

    person_id: str
    part: str
    contact: str
    case_reference: str
    from_date: date
    unacknowledged: int


def _staff(username: str) -> StaffActor:
    staff = (StaffActor.objects.select_related("user").filter(user__username=username).first()
             if "\x00" not in username else None)  # PostgreSQL refuses a NUL in any text
    if staff is None:
        raise NotFound(f"No member of staff called {username}.", where="--username")
    return staff


def _person(public_id: str) -> Person:
    person = Person.objects.filter(public_id=str(public_id)[:20]).first() if "\x00" not in public_id else None
    if person is None:
        raise NotFound(f"No person with id {public_id}.", where="--person")
    return person


def allocate(username: str, person_id: str, *, lead: bool = False, contact: str = "", case_reference: str = "",
             on: date | None = None) -> CaseAllocation:
    """Put a family member on a member of staff's caseload; ``lead`` makes them the lead practitioner."""
    staff, person = _staff(username), _person(person_id)
    if Role(staff.role) not in CASELOAD_ROLES:
        raise InvalidInput(f"{username} is {staff.role}: only practitioners and safeguarding leads hold a caseload.",
                           where="--username")
    contact, case_reference = contact.strip(), case_reference.strip()
    if "\x00" in contact + case_reference:  # PostgreSQL refuses it in any text
        raise InvalidInput("The contact or case reference has a character that cannot be kept; type it again.",
                           where="--contact")
    if len(contact) > 200 or len(case_reference) > 60:
        raise InvalidInput("Keep the contact under 200 characters and the case reference under 60.",
                           where="--contact" if len(contact) > 200 else "--case-reference")
    part = CaseAllocation.Part.LEAD if lead else CaseAllocation.Part.INVOLVED
    try:
        with transaction.atomic():
            if lead:
                other = (CaseAllocation.objects.select_for_update().filter(person=person, to_date__isnull=True,
                                                                           part=CaseAllocation.Part.LEAD)
                         .exclude(staff=staff).select_related("staff__user").first())
                if other is not None:
                    raise Conflict(f"{other.staff.user.username} is the lead practitioner for {person.public_id}; "
                                   "end that allocation first.", where="--lead")
            return CaseAllocation.objects.create(staff=staff, person=person, part=part, contact=contact,
                                                 case_reference=case_reference, from_date=on or timezone.localdate())
    except IntegrityError:
        raise Conflict(f"{person.public_id} is already on {username}'s caseload.", where="--person") from None


def allocate_once(username: str, person_id: str, *, lead: bool = False, contact: str = "",
                  case_reference: str = "") -> CaseAllocation:
    """As ``allocate``, but an allocation already open is kept as it is (the demo runs again)."""
    held = CaseAllocation.objects.filter(staff__user__username=username, person__public_id=person_id,
                                         to_date__isnull=True).first() if "\x00" not in username + person_id else None
    return held or allocate(username, person_id, lead=lead, contact=contact, case_reference=case_reference)


def end_allocation(username: str, person_id: str, *, on: date | None = None) -> CaseAllocation:
    """Take a family member off a caseload: kept as history, with the day it ended."""
    staff, person = _staff(username), _person(person_id)
    held = CaseAllocation.objects.filter(staff=staff, person=person, to_date__isnull=True).first()
    if held is None:
        raise NotFound(f"{person.public_id} is not on {username}'s caseload.", where="--person")
    held.to_date = on or timezone.localdate()
    held.save(update_fields=["to_date"])
    return held


def caseload_of(actor: Actor) -> list[CaseRow]:
    """The families on this member of staff's caseload now, lead allocations first, with unread alert counts.

    Public ids only: a name is shown when the practitioner opens the family for a purpose, through the door.
    """
    allocations = list(CaseAllocation.objects.filter(staff__user__username=actor.id, to_date__isnull=True)
                       .select_related("person").order_by("-part", "from_date", "pk"))  # "lead" sorts after "involved"
    unread = Counter(Alert.objects.filter(staff__user__username=actor.id, acknowledged_at__isnull=True)
                     .values_list("person_id", flat=True))
    ties = family_of({a.person_id for a in allocations}, set(unread))
    return [CaseRow(a.person.public_id, a.get_part_display(), a.contact, a.case_reference, a.from_date,
                    sum(unread[p] for p in ties.get(a.person_id, {a.person_id})))
            for a in allocations]

