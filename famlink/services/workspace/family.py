"""The family view: who is in the family, who works with them, and what this purpose may see of each.

The family is the person opened, the people tied to them by a current
relationship and the people living in their current household. The door is
asked about every member (``reading.read_person``): a member it refuses is
shown without a name, with the door's reasons and the lawful route; a member
it allows is shown with what it allows, and anything it still held back
(a safeguarding-sensitive record, a source that did not share for this
purpose) is listed with its reasons. Consent and opt-out state are shown for
every member: they are what the decisions rest on.

Flags are never a bare score nor a colour: each input is shown with the
records behind it (dates, sources, status in words) and a link to the
model's entry in the public register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.family.models import HouseholdMembership, Person, Relationship
from famlink.adapters.storage.governance.models import OptOutKind
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.adapters.storage.workspace.models import CaseAllocation
from famlink.core.errors import InvalidInput
from famlink.core.policy import Actor
from famlink.core.targeting.inputs import EXTRA, FEATURES
from famlink.core.taxonomy import Purpose
from famlink.services.governance import consent as consents
from famlink.services.rights import requests
from famlink.services.workspace.opening import purpose_of
from famlink.services.workspace.reading import (
    HeldBack,
    PersonRead,
    authorisation,
    person_by_id,
    read_person,
)
from famlink.services.workspace.words import PURPOSE_WORDS, EventLine, event_line

#: The most people one family view reads (a larger "family" is a linkage fault to report, not to page through).
MAX_MEMBERS = 30
SENSITIVE_BANNER = ("A safeguarding-sensitive address (for example a refuge) is shown below, only because this "
                    "purpose allows it. Never give it to another family member, or to anyone who asks for it.")


@dataclass(frozen=True)
class ConsentLine:
    purpose: str
    organisation: str
    level: str
    state: str
    expires_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "organisation": self.organisation, "level": self.level,
                "state": self.state, "expires_at": self.expires_at.isoformat() if self.expires_at else None}


@dataclass(frozen=True)
class AddressView:
    address: str
    postcode: str
    from_date: date | None
    to_date: date | None
    do_not_disclose: bool

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "postcode": self.postcode,
                "from": self.from_date.isoformat() if self.from_date else None,
                "to": self.to_date.isoformat() if self.to_date else None, "do_not_disclose": self.do_not_disclose}


@dataclass(frozen=True)
class Member:
    """One member of the family: shown as the door allows, with what was held back and why."""

    person_id: str
    shown: bool
    name: str
    date_of_birth: date | None
    role: str  # "adult" or "child" in the household, or "" where not known
    opened: bool  # the person the family was opened from
    addresses: tuple[AddressView, ...]
    consents: tuple[ConsentLine, ...]
    opted_out_of_linkage: bool
    opted_out_of_sharing: bool
    held_back: tuple[HeldBack, ...]
    allowed_because: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "shown": self.shown, "name": self.name or None,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "role": self.role or None, "opened": self.opened, "addresses": [a.as_dict() for a in self.addresses],
                "consents": [c.as_dict() for c in self.consents],
                "opted_out": {"linkage": self.opted_out_of_linkage, "sharing": self.opted_out_of_sharing},
                "held_back": [h.as_dict() for h in self.held_back], "allowed_because": list(self.allowed_because)}


@dataclass(frozen=True)
class Tie:
    """A relationship between two members; a member the door did not show is named as such."""

    from_name: str
    to_name: str
    kind: str
    parental_responsibility: bool

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.from_name, "to": self.to_name, "kind": self.kind,
                "parental_responsibility": self.parental_responsibility}


@dataclass(frozen=True)
class Professional:
    """Someone working with the family (``workspace.CaseAllocation``)."""

    name: str
    job: str
    organisation: str
    part: str
    contact: str
    works_with: str
    since: date

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "job": self.job, "organisation": self.organisation, "part": self.part,
                "contact": self.contact, "works_with": self.works_with, "since": self.since.isoformat()}


@dataclass(frozen=True)
class AgencyInvolvement:
    """An organisation whose records this view shows, and when it was last involved (latest event date)."""

    organisation: str
    last_involved: date | None
    records: int

    def as_dict(self) -> dict[str, Any]:
        return {"organisation": self.organisation,
                "last_involved": self.last_involved.isoformat() if self.last_involved else None,
                "records": self.records}


@dataclass(frozen=True)
class FlagInput:
    """One input of a flag: what the model counted, and the records behind it with dates and sources."""

    label: str
    value: str
    records: tuple[EventLine, ...]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "records": [r.as_dict() for r in self.records],
                "note": self.note or None}


@dataclass(frozen=True)
class Flag:
    """An indicator explained: never a bare score, never a colour."""

    person_name: str
    model: str
    register_url: str
    title: str
    raised_on: date
    status: str
    inputs: tuple[FlagInput, ...]
    rests_on_disputed_records: bool

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person_name, "model": self.model, "register_url": self.register_url,
                "title": self.title, "raised_on": self.raised_on.isoformat(), "status": self.status,
                "inputs": [i.as_dict() for i in self.inputs], "rests_on_disputed_records": self.rests_on_disputed_records}


@dataclass(frozen=True)
class FamilyView:
    person_id: str
    purpose: Purpose
    members: tuple[Member, ...]
    ties: tuple[Tie, ...]
    do_not_disclose: bool
    network: tuple[Professional, ...]
    agencies: tuple[AgencyInvolvement, ...]
    flags: tuple[Flag, ...]
    generated_at: datetime

    @property
    def purpose_words(self) -> str:
        return PURPOSE_WORDS[self.purpose]

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "purpose": self.purpose.value,
                "members": [m.as_dict() for m in self.members], "relationships": [t.as_dict() for t in self.ties],
                "do_not_disclose_address": self.do_not_disclose,
                "do_not_disclose_text": SENSITIVE_BANNER if self.do_not_disclose else None,
                "professional_network": [p.as_dict() for p in self.network],
                "agencies": [a.as_dict() for a in self.agencies], "flags": [f.as_dict() for f in self.flags],
                "generated_at": self.generated_at.isoformat()}


def _current(today: date) -> Q:
    return Q(to_date__isnull=True) | Q(to_date__gte=today)


def family_members(person: Person, today: date) -> list[Person]:
    """The person, then everyone tied to them by a current relationship or living in their current household."""
    ties = Relationship.objects.filter(_current(today)).filter(Q(from_person=person) | Q(to_person=person))
    ids = {person.pk}
    for a, b in ties.values_list("from_person_id", "to_person_id"):
        ids |= {a, b}
    homes = HouseholdMembership.objects.filter(_current(today), person=person).values("household")
    ids |= set(HouseholdMembership.objects.filter(_current(today), household__in=homes)
               .values_list("person_id", flat=True))
    others = (Person.objects.filter(pk__in=ids - {person.pk}, status=Person.Status.ACTIVE)
              .order_by("date_of_birth", "public_id")[:MAX_MEMBERS - 1])
    return [person, *others]


def read_family(actor: Actor, person_id: str, purpose: Purpose, break_glass: int | None,
                case_reference: str, *, only: str | None = None,
                derived: bool = False) -> tuple[Person, list[PersonRead]]:
    """Each member read through the door (``only``: just that member, who must be in the family)."""
    purpose = purpose_of(purpose)
    person = person_by_id(person_id)
    glass = authorisation(break_glass)
    members = family_members(person, timezone.localdate())
    if only:
        members = [m for m in members if m.public_id == only]
        if not members:
            raise InvalidInput("Choose a member of this family", where="person")
    justification = f"case {case_reference}" if case_reference else ""
    now = timezone.now()
    flagged = set(FlagNotice.objects.filter(person_ref__in=[m.public_id for m in members])
                  .values_list("person_ref", flat=True)) if derived else set()
    return person, [read_person(actor, purpose, m, break_glass=glass, justification=justification,
                                derived=m.public_id in flagged, now=now) for m in members]


def _consents(person: Person) -> tuple[ConsentLine, ...]:
    return tuple(ConsentLine(PURPOSE_WORDS[c.purpose], c.organisation or "every service", c.level.value.replace("_", " "),
                             c.state.value.replace("_", " "), c.expires_at) for c in consents.consent_summary(person))


def _member(read: PersonRead, opened: Person, roles: dict[int, str]) -> Member:
    person = read.person
    outs = consents.opt_outs(person)
    return Member(
        person_id=person.public_id, shown=read.shown, name=person.display_name if read.shown else "",
        date_of_birth=person.date_of_birth if read.shown else None, role=roles.get(person.pk, ""),
        opened=person.pk == opened.pk,
        addresses=tuple(AddressView(a.address, a.postcode, a.from_date, a.to_date, a.sensitive) for a in read.addresses),
        consents=_consents(person), opted_out_of_linkage=outs.get(OptOutKind.LINKAGE.value, False),
        opted_out_of_sharing=outs.get(OptOutKind.SHARING.value, False), held_back=tuple(read.held_back),
        allowed_because=read.allowed_because)


def _ties(reads: list[PersonRead], today: date) -> tuple[Tie, ...]:
    names = {r.person.pk: (r.person.display_name if r.shown else "a family member not shown to you") for r in reads}
    rows = (Relationship.objects.filter(_current(today), from_person_id__in=names, to_person_id__in=names)
            .order_by("kind", "from_person_id", "to_person_id"))
    return tuple(Tie(names[t.from_person_id], names[t.to_person_id], t.kind.replace("_", " "),
                     t.parental_responsibility) for t in rows)


def _network(reads: list[PersonRead], today: date) -> tuple[Professional, ...]:
    shown = {r.person.pk: r.person.display_name for r in reads if r.shown}
    rows = (CaseAllocation.objects.filter(_current(today), person_id__in=shown)
            .select_related("staff__user", "staff__organisation").order_by("part", "from_date", "pk"))
    out = []
    for a in rows:
        user = a.staff.user
        out.append(Professional(
            name=user.get_full_name() or user.get_username(), job=(a.staff.job or a.staff.role).replace("_", " "),
            organisation=a.staff.organisation.name if a.staff.organisation else "",
            part=CaseAllocation.Part(a.part).label, contact=a.contact, works_with=shown[a.person_id],
            since=a.from_date))
    return tuple(sorted(out, key=lambda p: (p.part != CaseAllocation.Part.LEAD.label, p.since)))


def _agencies(reads: list[PersonRead]) -> tuple[AgencyInvolvement, ...]:
    latest: dict[str, date | None] = {}
    counts: dict[str, int] = {}
    for read in reads:
        for r in read.records:
            name = r.source.organisation.name
            counts[name] = counts.get(name, 0) + 1
            known = latest.get(name)
            if r.event_date is not None and (known is None or r.event_date > known):
                latest[name] = r.event_date
            latest.setdefault(name, None)
    return tuple(sorted((AgencyInvolvement(n, latest[n], counts[n]) for n in counts),
                        key=lambda a: (a.last_involved is None, -(a.last_involved or date.min).toordinal(), a.organisation)))


_FEATURES = {f.name: f for f in FEATURES}


def _flag_inputs(notice: FlagNotice, reads: list[PersonRead], read: PersonRead,
                 lines: dict[int, EventLine]) -> tuple[FlagInput, ...]:
    out = []
    cutoff = notice.created_at.date()
    for item in notice.inputs or []:
        if not isinstance(item, dict):
            out.append(FlagInput(str(item), "", ()))
            continue
        name = str(item.get("input", ""))
        feature = _FEATURES.get(name)
        value = item.get("value")
        shown_value = "" if value is None else (f"{value:g}" if isinstance(value, int | float) else str(value))
        label = str(item.get("label") or EXTRA.get(name) or name)
        if feature is None:
            out.append(FlagInput(label, shown_value, (), "Worked out from the family's details, not from one record."))
            continue
        start = cutoff - timedelta(days=365 * feature.years)
        pool = [r for rd in (reads if feature.household else [read]) for r in rd.records]
        behind = sorted((lines[r.pk] for r in pool
                         if r.category == feature.category and (not feature.statuses or r.status in feature.statuses)
                         and r.event_date is not None and start <= r.event_date < cutoff and r.pk in lines),
                        key=lambda line: line.sort_key)
        note = "" if behind else "None of the records behind this input is shown for this purpose."
        out.append(FlagInput(label, shown_value, tuple(behind), note))
    return tuple(out)


def _flags(reads: list[PersonRead]) -> tuple[Flag, ...]:
    shown = {r.person.public_id: r for r in reads if r.shown}
    notices = FlagNotice.objects.filter(person_ref__in=list(shown)).order_by("-created_at")
    if not notices:
        return ()
    records = [r for read in reads for r in read.records]
    marks = requests.marks_for([r.pk for r in records])
    owner = {r.pk: read.person for read in reads for r in read.records}
    lines = {r.pk: event_line(r, owner[r.pk].display_name, marks.get(r.pk, [])) for r in records}
    out = []
    for notice in notices:
        read = shown[notice.person_ref]
        inputs = _flag_inputs(notice, reads, read, lines)
        disputed = any(line.disputed for i in inputs for line in i.records)
        out.append(Flag(person_name=read.person.display_name, model=notice.model_id,
                        register_url=f"/registers/algorithms#model-{notice.model_id}", title=notice.title,
                        raised_on=notice.created_at.date(), status=FlagNotice.Status(notice.status).label,
                        inputs=inputs, rests_on_disputed_records=disputed))
    return tuple(out)


def family_view(actor: Actor, person_id: str, purpose: Purpose, *, break_glass: int | None = None,
                case_reference: str = "") -> FamilyView:
    """The family of ``person_id`` as ``purpose`` allows: header, network, members, flags (see the module)."""
    purpose = purpose_of(purpose)
    person, reads = read_family(actor, person_id, purpose, break_glass, case_reference, derived=True)
    today = timezone.localdate()
    roles = dict(HouseholdMembership.objects.filter(_current(today), person_id__in=[r.person.pk for r in reads])
                 .values_list("person_id", "role"))
    members = tuple(_member(r, person, roles) for r in reads)
    return FamilyView(
        person_id=person.public_id, purpose=purpose, members=members, ties=_ties(reads, today),
        do_not_disclose=any(a.do_not_disclose for m in members for a in m.addresses),
        network=_network(reads, today), agencies=_agencies(reads), flags=_flags(reads), generated_at=timezone.now())


__all__ = ["SENSITIVE_BANNER", "AgencyInvolvement", "FamilyView", "Flag", "FlagInput", "Member", "Professional",
           "Tie", "family_members", "family_view", "read_family"]
