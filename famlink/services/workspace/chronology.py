"""The multi-agency chronology: one line per event, a source on every line, status in words.

Records come from each member as the door allows them (``reading``); the
family's statements sit beside the record they are about; information-sharing
decisions (``workspace.SharingDecision``) are lines too, shown for the members
the door showed. Lines the door held back are not lines: the page lists what
was held back and why (as the family view does). Filters narrow by person,
agency and period after the door has decided, so they can never widen what
is shown; a person filter naming someone outside the family is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from famlink.adapters import pdf
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.core.policy import Actor
from famlink.core.taxonomy import Purpose
from famlink.services.rights import requests
from famlink.services.workspace.family import family_members
from famlink.services.workspace.opening import purpose_of
from famlink.services.workspace.reading import HeldBack, authorisation, person_by_id, read_person
from famlink.services.workspace.words import (
    NO_DATE,
    PURPOSE_WORDS,
    EventLine,
    date_words,
    event_line,
)

#: The most lines one chronology shows (newest first); the page says when more were left off.
MAX_LINES = 2000


@dataclass(frozen=True)
class ChronologyFilter:
    """Narrow the chronology: one member (person id), one agency (organisation name), a period (inclusive)."""

    person: str = ""
    agency: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("The period must end on or after the day it starts", where="date_to")
        if len(self.agency) > 200:
            raise InvalidInput("An agency's name is at most 200 characters", where="agency")

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person or None, "agency": self.agency or None,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None}


@dataclass(frozen=True)
class MemberChoice:
    person_id: str
    name: str


@dataclass(frozen=True)
class Chronology:
    person_id: str
    purpose: Purpose
    filters: ChronologyFilter
    lines: tuple[EventLine, ...]
    members: tuple[MemberChoice, ...]  # the members shown, for the person filter
    agencies: tuple[str, ...]  # every organisation with a line before the agency and period filters
    held_back: tuple[tuple[str, HeldBack], ...]  # (whose, what) the door did not show
    left_off: int = 0
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def purpose_words(self) -> str:
        return PURPOSE_WORDS[self.purpose]

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "purpose": self.purpose.value, "filters": self.filters.as_dict(),
                "lines": [line.as_dict() for line in self.lines],
                "held_back": [{"person": who, **h.as_dict()} for who, h in self.held_back],
                "left_off": self.left_off, "generated_at": self.generated_at.isoformat()}


def _sharing_lines(people: dict[int, tuple[str, str]]) -> list[EventLine]:
    rows = (SharingDecision.objects.filter(subject_id__in=people)
            .select_related("decided_by__user", "decided_by__organisation", "recipient_organisation"))
    out = []
    for d in rows:
        person_id, name = people[d.subject_id]
        when = timezone.localdate(d.decided_at)
        shown, _ = date_words(when, None)
        organisation = d.decided_by.organisation.name if d.decided_by.organisation else "the council"
        verdict = SharingDecision.Verdict(d.verdict).label
        recipient = d.recipient + (f" ({d.recipient_organisation.name})" if d.recipient_organisation else "")
        out.append(EventLine(
            kind="sharing decision", ref=f"sharing:{d.pk}", person_id=person_id, person_name=name, event_date=when,
            date_shown=shown, date_uncertain="",
            event=f"Information {verdict} with {recipient}", organisation=organisation,
            source=f"Information-sharing decision by {d.decided_by.user.get_full_name() or d.decided_by.user.get_username()}",
            statuses=(f"lawful basis: {d.lawful_basis.replace('_', ' ')}",
                      "parent told" if d.parent_told else "parent not told"),
            note=f"{d.information} Why: {d.reasons}" + (f" Not told because: {d.not_told_because}"
                                                        if not d.parent_told and d.not_told_because else "")))
    return out


def _in_period(line: EventLine, filters: ChronologyFilter) -> bool:
    if filters.date_from is None and filters.date_to is None:
        return True
    if line.event_date is None:
        return True  # an undated line may fall in any period: kept, and marked "date not known"
    return ((filters.date_from is None or line.event_date >= filters.date_from)
            and (filters.date_to is None or line.event_date <= filters.date_to))


def chronology(actor: Actor, person_id: str, purpose: Purpose, filters: ChronologyFilter | None = None, *,
               break_glass: int | None = None, case_reference: str = "",
               action: AuditEvent = AuditEvent.RECORD_VIEWED) -> Chronology:
    """The family's chronology as ``purpose`` allows, newest first, undated lines last."""
    purpose = purpose_of(purpose)
    filters = filters or ChronologyFilter()
    person = person_by_id(person_id)
    glass = authorisation(break_glass)
    members = family_members(person, timezone.localdate())
    if filters.person:
        members = [m for m in members if m.public_id == filters.person]
        if not members:
            raise InvalidInput("Choose a member of this family", where="person")
    justification = f"case {case_reference}" if case_reference else ""
    now = timezone.now()
    reads = [read_person(actor, purpose, m, action=action, break_glass=glass, justification=justification, now=now)
             for m in members]
    shown = [r for r in reads if r.shown]
    records = [(r.person, rec) for r in shown for rec in r.records]
    marks = requests.marks_for([rec.pk for _, rec in records])
    today = timezone.localdate(now)
    lines = [event_line(rec, p.display_name, marks.get(rec.pk, []), person_id=p.public_id, today=today)
             for p, rec in records]
    lines += _sharing_lines({r.person.pk: (r.person.public_id, r.person.display_name) for r in shown})
    agencies = tuple(sorted({line.organisation for line in lines}))
    lines = [line for line in lines if (not filters.agency or line.organisation == filters.agency)
             and _in_period(line, filters)]
    lines.sort(key=lambda line: line.sort_key)
    held = tuple((r.person.display_name if r.shown else "A family member not shown to you", h)
                 for r in reads for h in r.held_back)
    return Chronology(
        person_id=person.public_id, purpose=purpose, filters=filters, lines=tuple(lines[:MAX_LINES]),
        members=tuple(MemberChoice(r.person.public_id, r.person.display_name) for r in shown),
        agencies=agencies, held_back=held, left_off=max(0, len(lines) - MAX_LINES), generated_at=now)


def chronology_pdf(actor: Actor, person_id: str, purpose: Purpose, filters: ChronologyFilter | None = None, *,
                   break_glass: int | None = None, case_reference: str = "") -> bytes:
    """The chronology, printable: the same lines, laid out by the low-priority renderer (``adapters.pdf``)."""
    chrono = chronology(actor, person_id, purpose, filters, break_glass=break_glass, case_reference=case_reference,
                        action=AuditEvent.RECORD_EXPORTED)
    return pdf.render(render_to_string("workspace/chronology.html", {
        "chronology": chrono, "purpose_label": chrono.purpose_words, "case_reference": case_reference,
        "printed_by": actor.id, "no_date": NO_DATE}))


__all__ = ["MAX_LINES", "Chronology", "ChronologyFilter", "MemberChoice", "chronology", "chronology_pdf"]
