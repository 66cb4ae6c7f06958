"""Find a person by name, date of birth, postcode, NHS number or UPN: purpose first, through the door.

Candidates are found from what linkage holds (names and dates of birth of
persons, household postcodes, identifiers on their records), but nothing
about a candidate is shown until the door has been asked for their identity
under the purpose stated. Each match is one door decision, logged.

A person the door refuses appears as a match **with no details**: no name,
no date of birth, no postcode, only the door's reasons and the lawful route
that exists (for child protection, break-glass). A practitioner who searched
for a child at risk needs to know that someone matched and how to reach
them lawfully; they learn nothing they did not type. Results are bounded
(``MAX_MATCHES``): more candidates than that asks for a narrower search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from famlink.adapters.storage.family.models import HouseholdMembership, Person
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.linkage.models import RecordAssignment
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.errors import InvalidInput
from famlink.core.identifiers import nhs_number_is_valid, upn_is_valid
from famlink.core.linkage.addresses import postcode_key
from famlink.core.policy import Actor
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.opening import purpose_of
from famlink.services.workspace.reading import read_person

#: The most matches one search shows: more asks for a narrower search (name with date of birth, an NHS number).
MAX_MATCHES = 20
POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")


@dataclass(frozen=True)
class PersonQuery:
    """What a practitioner knows about the person: at least one field."""

    name: str = ""
    date_of_birth: date | None = None
    postcode: str = ""
    nhs_number: str = ""
    upn: str = ""

    def cleaned(self) -> PersonQuery:
        """The query with each field checked, or ``InvalidInput`` naming the field."""
        name = " ".join(self.name.split())
        if len(name) == 1 or len(name) > 100:
            raise InvalidInput("Enter at least 2 letters of the name (at most 100)", where="name")
        postcode = " ".join(self.postcode.upper().split())
        if postcode and not POSTCODE.fullmatch(postcode):
            raise InvalidInput("Enter a full postcode, like SW1A 1AA", where="postcode")
        nhs = "".join(self.nhs_number.split())
        if nhs and not nhs_number_is_valid(nhs):
            raise InvalidInput("Enter a 10-digit NHS number (its last digit is a check digit)", where="nhs_number")
        upn = "".join(self.upn.upper().split())
        if upn and not upn_is_valid(upn):
            raise InvalidInput("Enter a 13-character unique pupil number (UPN)", where="upn")
        if self.date_of_birth is not None and self.date_of_birth > timezone.localdate():
            raise InvalidInput("A date of birth cannot be in the future", where="date_of_birth")
        cleaned = PersonQuery(name, self.date_of_birth, postcode, nhs, upn)
        if not (name or postcode or nhs or upn or cleaned.date_of_birth):
            raise InvalidInput("Enter a name, date of birth, postcode, NHS number or UPN", where="name")
        return cleaned


@dataclass(frozen=True)
class PersonMatch:
    """One person the search found: their details if the purpose allows them, else why not and the lawful route."""

    person_id: str
    shown: bool
    name: str = ""
    date_of_birth: date | None = None
    postcodes: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    route: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "shown": self.shown, "name": self.name or None,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "postcodes": list(self.postcodes), "reasons": list(self.reasons), "lawful_route": self.route or None}


def _candidates(query: PersonQuery) -> QuerySet[Person]:
    people = Person.objects.filter(status=Person.Status.ACTIVE)
    if query.name:
        for word in query.name.split():
            people = people.filter(display_name__icontains=word)
    if query.date_of_birth:
        people = people.filter(date_of_birth=query.date_of_birth)
    if query.postcode:
        key = postcode_key(query.postcode)
        spaced = {query.postcode, query.postcode.replace(" ", ""), key}
        homes = HouseholdMembership.objects.filter(postcode__in=spaced).values("person")
        people = people.filter(pk__in=homes)
    identifiers = Q()
    if query.nhs_number:
        identifiers &= Q(nhs_number=query.nhs_number)
    if query.upn:
        identifiers &= Q(upn=query.upn)
    if query.nhs_number or query.upn:
        run = holdings.latest_run_id()
        records = SourceRecord.objects.filter(identifiers, superseded_by__isnull=True).values("pk")
        people = people.filter(pk__in=RecordAssignment.objects.filter(run_id=run, record__in=records)
                               .values("person"))
    return people.order_by("display_name", "date_of_birth", "public_id")


def find_people(actor: Actor, purpose: Purpose, query: PersonQuery) -> list[PersonMatch]:
    """The people matching ``query``, each as the door allows for ``purpose`` (at most ``MAX_MATCHES``)."""
    purpose = purpose_of(purpose)
    query = query.cleaned()
    found = list(_candidates(query)[:MAX_MATCHES + 1])
    if len(found) > MAX_MATCHES:
        raise InvalidInput(f"More than {MAX_MATCHES} people match: add a date of birth, a postcode or an NHS number",
                           where="name")
    out = []
    for person in found:
        read = read_person(actor, purpose, person, records=False)
        if read.shown:
            postcodes = tuple(dict.fromkeys(a.postcode for a in reversed(read.addresses) if a.postcode))
            out.append(PersonMatch(person.public_id, True, person.display_name, person.date_of_birth, postcodes))
        else:
            refused = read.held_back[0]
            out.append(PersonMatch(person.public_id, False, reasons=refused.reasons, route=refused.route))
    return out


__all__ = ["MAX_MATCHES", "PersonMatch", "PersonQuery", "find_people"]
