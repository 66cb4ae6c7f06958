"""One record as a line a practitioner reads: date (and how sure it is), event, source, status in words.

The research's harms were records read out of context: a missed appointment
the hospital itself cancelled, an unsubstantiated referral read as a
finding, a record from decades ago. So every line says, in words, where the
record came from, what its status is (substantiated, unsubstantiated,
disputed by the family, corrected, past its retention end), how sure its
date is, and what the family said about it, beside it.

Practitioners' pages are in English; these are the words they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.sources.retention import retention_end
from famlink.core.taxonomy import Purpose, RecordCategory, RecordStatus
from famlink.services.rights.requests import RecordMark

#: The purposes as practitioners state them (the parent's pages word them for parents).
PURPOSE_WORDS: dict[Purpose, str] = {
    Purpose.DIRECT_SERVICE_DELIVERY: "Giving a service the family uses (direct delivery)",
    Purpose.EARLY_HELP_IDENTIFICATION: "Early help",
    Purpose.SAFEGUARDING_CHILD_PROTECTION: "Child protection",
    Purpose.FRAUD_DEBT: "Checking for fraud or collecting debts",
    Purpose.SERVICE_PLANNING: "Planning services (totals only)",
    Purpose.RESEARCH_STATISTICS: "Research and statistics (names removed)",
    Purpose.SUBJECT_ACCESS: "A subject access request",
    Purpose.RECORD_LINKAGE: "Record linkage",
}
#: The purposes a practitioner can open a family for (the door still decides each time).
WORKSPACE_PURPOSES = (Purpose.DIRECT_SERVICE_DELIVERY, Purpose.EARLY_HELP_IDENTIFICATION,
                      Purpose.SAFEGUARDING_CHILD_PROTECTION, Purpose.FRAUD_DEBT)
SENSITIVE_RECORD = "safeguarding-sensitive: never share it with another family member"
EVENT_WORDS: dict[RecordCategory, str] = {
    RecordCategory.HEALTH_REGISTRATION: "Registered with a GP practice",
    RecordCategory.HEALTH_APPOINTMENT: "Hospital appointment",
    RecordCategory.HEALTH_AE_ATTENDANCE: "A&E visit",
    RecordCategory.EDUCATION_ENROLMENT: "Enrolled at a school",
    RecordCategory.EDUCATION_ATTENDANCE: "School attendance recorded",
    RecordCategory.EDUCATION_EXCLUSION: "Excluded from school",
    RecordCategory.SOCIAL_CARE_REFERRAL: "Referral to children's social care",
    RecordCategory.SOCIAL_CARE_ASSESSMENT: "Social care assessment",
    RecordCategory.SOCIAL_CARE_OUTCOME: "Social care outcome",
    RecordCategory.POLICE_INCIDENT: "Police incident",
    RecordCategory.HOUSING_TENANCY: "Tenancy",
    RecordCategory.HOUSING_ARREARS: "Rent arrears notice",
    RecordCategory.WELFARE_BENEFIT: "Benefit award",
    RecordCategory.OTHER: "Other record",
}
OUTCOME_WORDS: dict[RecordStatus, str] = {
    RecordStatus.ATTENDED: "attended",
    RecordStatus.DID_NOT_ATTEND: "did not attend",
    RecordStatus.CANCELLED_BY_PROVIDER: "cancelled by the provider, not the family",
    RecordStatus.SUBSTANTIATED: "substantiated",
    RecordStatus.UNSUBSTANTIATED: "unsubstantiated: not a finding",
    RecordStatus.NO_FURTHER_ACTION: "no further action",
    RecordStatus.OPEN: "open",
    RecordStatus.CLOSED: "closed",
    RecordStatus.ONGOING: "ongoing",
}
DISPUTED = "disputed by the family"
CORRECTED = "corrected"
EXPIRED = "expired: past its retention end, waiting to be deleted"
#: How sure a date is, from the record's ``attributes.date_precision`` (a source can map a column to it).
NO_DATE = "date not known"
PRECISION_WORDS = {"month": "month only: the day is not known", "year": "year only: the month is not known",
                   "approximate": "approximate"}


@dataclass(frozen=True)
class Statement:
    """What the family said about a record, shown beside it."""

    reference: str
    kind: str
    statement: str
    disputed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "kind": self.kind, "statement": self.statement, "disputed": self.disputed}


@dataclass(frozen=True)
class EventLine:
    """One line of a chronology (a record, or an information-sharing decision)."""

    kind: str  # "record" or "sharing decision"
    ref: str
    person_id: str
    person_name: str
    event_date: date | None
    date_shown: str
    date_uncertain: str  # "" when the date is exact
    event: str
    organisation: str
    source: str
    statuses: tuple[str, ...]
    note: str
    statements: tuple[Statement, ...] = ()
    before_correction: tuple[str, ...] = ()

    @property
    def disputed(self) -> bool:
        return DISPUTED in self.statuses

    @property
    def sort_key(self) -> tuple[int, str, str]:
        # undated lines last: their place in time is unknown, and the page says so
        return (-(self.event_date.toordinal() if self.event_date else 0), self.kind, self.ref)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "person_id": self.person_id, "person": self.person_name,
                "date": self.event_date.isoformat() if self.event_date else None, "date_shown": self.date_shown,
                "date_uncertain": self.date_uncertain or None, "event": self.event, "organisation": self.organisation,
                "source": self.source, "status": list(self.statuses), "note": self.note,
                "statements": [s.as_dict() for s in self.statements],
                "before_correction": list(self.before_correction)}


def date_words(when: date | None, precision: object) -> tuple[str, str]:
    """The date as shown, and how uncertain it is ("" when exact)."""
    if when is None:
        return NO_DATE, NO_DATE
    if precision == "month":
        return when.strftime("%B %Y"), PRECISION_WORDS["month"]
    if precision == "year":
        return str(when.year), PRECISION_WORDS["year"]
    if precision == "approximate":
        return f"about {when.day} {when:%B %Y}", PRECISION_WORDS["approximate"]
    return f"{when.day} {when:%B %Y}", ""


def statuses_of(record: SourceRecord, marks: Iterable[RecordMark], today: date) -> tuple[str, ...]:
    out = []
    if record.status:
        out.append(OUTCOME_WORDS.get(RecordStatus(record.status), record.status.replace("_", " ")))
    if any(m.disputed for m in marks):
        out.append(DISPUTED)
    if record.supersedes_id:
        out.append(CORRECTED)
    if record.sensitive:
        out.append(SENSITIVE_RECORD)
    ends = retention_end(record.event_date, timezone.localdate(record.received_at), record.source.retention_years)
    if ends <= today:
        out.append(EXPIRED)
    return tuple(out)


def event_line(record: SourceRecord, person_name: str, marks: Iterable[RecordMark], *, person_id: str = "",
               today: date | None = None) -> EventLine:
    """``record`` (with ``source__organisation`` loaded) as a chronology line."""
    marks = list(marks)
    today = today or timezone.localdate()
    attributes = record.attributes if isinstance(record.attributes, dict) else {}
    shown, uncertain = date_words(record.event_date, attributes.get("date_precision"))
    before: list[str] = []
    walker = record.supersedes
    if walker is not None:  # what it said before: a correction never hides the history
        before.append(f"Version {walker.version}: {walker.event_date or NO_DATE}, "
                      f"{OUTCOME_WORDS.get(RecordStatus(walker.status), walker.status) if walker.status else 'no status'}"
                      f"{': ' + walker.note if walker.note else ''}. Replaced because: "
                      f"{record.correction_reason or 'not recorded'}")
    return EventLine(
        kind="record", ref=f"{record.source.name}:{record.local_id}", person_id=person_id, person_name=person_name,
        event_date=record.event_date, date_shown=shown, date_uncertain=uncertain,
        event=EVENT_WORDS.get(RecordCategory(record.category), record.category),
        organisation=record.source.organisation.name, source=record.source.title,
        statuses=statuses_of(record, marks, today), note=record.note,
        statements=tuple(Statement(m.reference, m.kind.value.split(":")[-1].replace("_", " "), m.statement, m.disputed)
                         for m in marks if m.statement or m.disputed),
        before_correction=tuple(before))


__all__ = ["CORRECTED", "DISPUTED", "EVENT_WORDS", "EXPIRED", "NO_DATE", "OUTCOME_WORDS", "PURPOSE_WORDS",
           "SENSITIVE_RECORD", "WORKSPACE_PURPOSES", "EventLine", "Statement",
           "date_words", "event_line", "statuses_of"]
