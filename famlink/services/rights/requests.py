"""Families' requests, from report to outcome: the one place they are made and decided.

A parent reports a mistake, adds context, or says a record is not theirs;
the record is marked disputed at once, everywhere it is shown. The data team
decides: correct (a new record version, derived flags withdrawn until
recomputed), annotate (the statement stays), unlink (the link is rejected
and stays rejected in later runs) or decline (with a reason and the ICO
route). Every step goes through the policy door and is audited, and every
outcome is sent to the family as a message.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.linkage.store import carry_assignments, reject_link
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.adapters.storage.rights.models import Message, RightsRequest
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.adapters.storage.workspace.alerting import Happening, raise_alerts
from famlink.adapters.storage.workspace.models import Alert
from famlink.core.audit import AuditEvent
from famlink.core.digits import ascii_number
from famlink.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from famlink.core.policy import Actor, Role
from famlink.core.rights import (
    CLOSED,
    Clock,
    Outcome,
    RequestKind,
    RequestStatus,
    clock_for,
    new_reference,
    statutory_due,
    validate_statement,
)
from famlink.core.taxonomy import DataCategory, Purpose, RecordCategory, RecordStatus
from famlink.services.governance import door

ICO_ROUTE = (
    "If you are not happy with this, you can complain to the Information Commissioner's Office (ICO): "
    "ico.org.uk/make-a-complaint or 0303 123 1113."
)
#: Kinds that mark a record disputed until they are decided.
DISPUTING = frozenset({RequestKind.RECTIFICATION, RequestKind.NOT_ME})
EDITABLE = ("status", "event_date", "note")


@dataclass(frozen=True)
class RecordMark:
    """What a record carries because of a family's request: shown wherever the record is."""

    reference: str
    kind: RequestKind
    status: RequestStatus
    statement: str
    disputed: bool  # still open, and the family says it is wrong

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "kind": self.kind.value, "status": self.status.value,
                "statement": self.statement, "disputed": self.disputed}


@dataclass(frozen=True)
class Correction:
    """What the data team changes in a record (only the fields a family can dispute)."""

    status: str | None = None
    event_date: date | None = None
    note: str | None = None

    def changes(self, record: SourceRecord) -> dict[str, Any]:
        wanted = {name: getattr(self, name) for name in EDITABLE if getattr(self, name) is not None}
        if "status" in wanted and wanted["status"] not in {s.value for s in RecordStatus}:
            raise InvalidInput(f"unknown status '{wanted['status']}'", where="status")
        return {name: value for name, value in wanted.items() if getattr(record, name) != value}


def _categories(record: SourceRecord) -> tuple[DataCategory, ...]:
    return (DataCategory.IDENTITY, DataCategory.for_record_category(RecordCategory(record.category)))


def record_of(person: Person, record_id: int | str) -> SourceRecord:
    """A record linked to ``person`` (any version in its chain); anything else is 'not found'."""
    pk = ascii_number(str(record_id))
    record = None if pk is None else SourceRecord.objects.select_related("source__organisation").filter(pk=pk).first()
    if record is None:
        raise NotFound("There is no such record.")
    linked = set(holdings.linked_records(person).values_list("pk", flat=True))
    chain = {record.pk}
    walker: SourceRecord | None = record
    while walker is not None and walker.supersedes_id is not None:
        chain.add(walker.supersedes_id)
        walker = walker.supersedes
    current = record
    while hasattr(current, "superseded_by"):
        current = current.superseded_by
        chain.add(current.pk)
    if not chain & linked:
        raise NotFound("There is no such record.")
    return record


def report(actor: Actor, user: Any, person: Person | str, record_id: int | str, kind: RequestKind | str,
           statement: str, *, at: datetime | None = None) -> RightsRequest:
    """A family says a record is wrong, adds their side, or says it is not theirs."""
    if not isinstance(person, Person):
        found = Person.objects.filter(public_id=str(person)).first()
        if found is None:
            raise NotFound("There is no such person in your family's records.")
        person = found
    try:
        kind = RequestKind(kind)
    except ValueError:
        raise InvalidInput("Choose what you want to tell us.", where="kind") from None
    if kind is RequestKind.SUBJECT_ACCESS:
        raise InvalidInput("Use 'Download everything' for a copy of your records.", where="kind")
    statement = validate_statement(statement)
    at = at or timezone.now()
    record = record_of(person, record_id)
    action = AuditEvent.CONTEXT_ADDED if kind is RequestKind.CONTEXT else AuditEvent.RECORD_DISPUTED
    with door.open(actor, Purpose.SUBJECT_ACCESS, person, _categories(record), action=action,
                   sources=[record.source], now=at):
        made = _create(kind=kind, subject=person, requested_by=user, record=record, statement=statement,
                       received_at=at, due_on=statutory_due(timezone.localdate(at)))
        raise_alerts([_said_by_family(made, record)])
        return made


def _said_by_family(request: RightsRequest, record: SourceRecord) -> Happening:
    """The alert for the family's professionals: what the family did, about a record from where (not what it says)."""
    where = record.source.organisation.name
    if request.kind == RequestKind.CONTEXT:
        return Happening(request.subject_id, Alert.Kind.STATEMENT, f"The family added their side to a record from {where}",
                         record.pk)
    said = "said a record from {where} is not about them" if request.kind == RequestKind.NOT_ME else (
        "reported a mistake in a record from {where}")
    return Happening(request.subject_id, Alert.Kind.DISPUTE, "The family " + said.format(where=where), record.pk)


def _create(**fields: Any) -> RightsRequest:
    for _ in range(5):  # a clash of random references is rare; try again rather than fail
        try:
            with transaction.atomic():
                return RightsRequest.objects.create(reference=new_reference(), **fields)
        except IntegrityError:
            continue
    raise Conflict("Could not give your request a reference. Please try again.")


def record_subject_access(actor: Actor, user: Any, person: Person, *, at: datetime | None = None) -> RightsRequest:
    """A download of everything, logged as a subject access request fulfilled on the spot."""
    at = at or timezone.now()
    return _create(kind=RequestKind.SUBJECT_ACCESS, subject=person, requested_by=user, statement="",
                   received_at=at, due_on=statutory_due(timezone.localdate(at)),
                   status=RequestStatus.FULFILLED, outcome="", decided_at=at, decided_by=actor.id,
                   outcome_reason="You downloaded a copy of everything we hold.")


def marks_for(record_ids: list[int]) -> dict[int, list[RecordMark]]:
    """Every family statement and open dispute on these records (and earlier versions of them)."""
    records = SourceRecord.objects.filter(pk__in=record_ids).values_list("pk", "supersedes_id")
    lineage: dict[int, list[int]] = defaultdict(list)
    for pk, supersedes in records:
        lineage[pk].append(pk)
        walker: int | None = supersedes
        while walker is not None:  # a correction keeps what was said about the old version
            lineage[pk].append(walker)
            walker = SourceRecord.objects.filter(pk=walker).values_list("supersedes_id", flat=True).first()
    wanted = {old for chain in lineage.values() for old in chain}
    marks_by_record: dict[int, list[RecordMark]] = defaultdict(list)
    for request in RightsRequest.objects.filter(record_id__in=wanted).order_by("received_at"):
        kind, status = RequestKind(request.kind), RequestStatus(request.status)
        if request.record_id is None:
            continue
        marks_by_record[request.record_id].append(RecordMark(
            reference=request.reference, kind=kind, status=status, statement=request.statement,
            disputed=kind in DISPUTING and status not in CLOSED))
    return {pk: [m for old in chain for m in marks_by_record.get(old, [])] for pk, chain in lineage.items()}


def disputed_people(person_ids: list[str]) -> set[str]:
    """People with a record under open dispute: flags derived from them are shown as disputed."""
    open_requests = RightsRequest.objects.filter(
        subject__public_id__in=person_ids, kind__in=list(DISPUTING)).exclude(status__in=list(CLOSED))
    return set(open_requests.values_list("subject__public_id", flat=True))


def requests_for(user: Any) -> list[RightsRequest]:
    """A parent's requests, newest first."""
    return list(RightsRequest.objects.filter(requested_by=user).select_related("record__source")
                .order_by("-received_at"))


def request_for_parent(user: Any, reference: str) -> RightsRequest:
    """One of this parent's own requests; another family's reference is 'not found'."""
    found = RightsRequest.objects.filter(reference=str(reference)[:12], requested_by=user).first()
    if found is None:
        raise NotFound("There is no such request.")
    return found


# -- the data team's side --------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    request: RightsRequest
    clock: Clock
    days_left: int


def queue(*, today: date | None = None, include_closed: bool = False) -> list[QueueRow]:
    """Requests needing an answer, most urgent first (subject access downloads answer themselves)."""
    today = today or timezone.localdate()
    rows = RightsRequest.objects.exclude(kind=RequestKind.SUBJECT_ACCESS).select_related(
        "assigned_to", "subject", "record__source")
    if not include_closed:
        rows = rows.exclude(status__in=list(CLOSED))
    out = [QueueRow(r, clock_for(r.due_on, today, closed=r.status in CLOSED), (r.due_on - today).days)
           for r in rows.order_by("due_on", "received_at")]
    return out


def clock_of(request: RightsRequest, today: date | None = None) -> Clock:
    return clock_for(request.due_on, today or timezone.localdate(), closed=request.status in CLOSED)


#: Who answers families' requests: the policy lets parents read their own records under
#: subject access too, so deciding is also limited by role here, not only by the door.
TEAM_ROLES = frozenset({Role.DATA_TEAM, Role.DPO})


def _require_team(actor: Actor) -> None:
    if actor.role not in TEAM_ROLES:
        raise AccessDenied("Only the council's data team can answer requests.")


def team_request(reference: str) -> RightsRequest:
    found = RightsRequest.objects.select_related("subject", "record__source__organisation", "assigned_to").filter(
        reference=str(reference)[:12]).exclude(kind=RequestKind.SUBJECT_ACCESS).first()
    if found is None:
        raise NotFound("There is no such request.")
    return found


def read_request(actor: Actor, reference: str) -> tuple[RightsRequest, list[RecordMark]]:
    """The data team reads a request and its record: through the door, audited."""
    _require_team(actor)
    request = team_request(reference)
    assert request.record is not None
    with door.open(actor, Purpose.SUBJECT_ACCESS, request.subject, _categories(request.record),
                   sources=[request.record.source]):
        marks = marks_for([request.record.pk]).get(request.record.pk, [])
        return request, marks


def assign(actor: Actor, reference: str, user: Any) -> RightsRequest:
    """Take a request on: it opens the family's record to this member of staff, so the door is asked."""
    _require_team(actor)
    found = team_request(reference)
    assert found.record is not None
    with door.open(actor, Purpose.SUBJECT_ACCESS, found.subject, _categories(found.record),
                   sources=[found.record.source]):
        request = RightsRequest.objects.select_for_update().get(pk=found.pk)
        if request.status in CLOSED:
            raise Conflict("This request is already closed.")
        request.assigned_to = user
        request.status = RequestStatus.IN_PROGRESS
        request.save(update_fields=["assigned_to", "status"])
        return request


def _supersede(record: SourceRecord, changes: dict[str, Any], by: str, reason: str, at: datetime) -> SourceRecord:
    """A new version of ``record`` with ``changes``; the old one is kept, marked superseded.

    The new version takes the old one's place in the latest linkage run (inside the
    decision's transaction), so no view shows both and ``famlink link --incremental``
    keeps it with its person; the old version is its history.
    """
    if hasattr(record, "superseded_by"):
        raise Conflict("This record has already been corrected; open the latest version.")
    new = SourceRecord.objects.get(pk=record.pk)
    new.pk = None
    new.id = None
    new.version = record.version + 1
    new.supersedes = record
    new.received_at = at
    new.correction_reason = reason
    new.corrected_by = by
    for name, value in changes.items():
        setattr(new, name, value)
    new.save()
    carry_assignments({record.pk: new.pk})  # as a re-sent row: every view now shows the new version
    return new


def decide(actor: Actor, user: Any, reference: str, outcome: Outcome | str, reason: str, *,
           correction: Correction | None = None, at: datetime | None = None) -> RightsRequest:
    """Close a request with an outcome; the family is told, and everything is audited."""
    _require_team(actor)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise InvalidInput("Choose an outcome.", where="outcome") from None
    reason = validate_statement(reason, where="reason", required=outcome is Outcome.DECLINE)
    at = at or timezone.now()
    request = team_request(reference)
    record = request.record
    assert record is not None
    if outcome is Outcome.UNLINK and request.kind != RequestKind.NOT_ME:
        raise InvalidInput("Only a 'this is not me' request can be unlinked.", where="outcome")
    changes = (correction or Correction()).changes(record) if outcome is Outcome.CORRECT else {}
    if outcome is Outcome.CORRECT and not changes:
        raise InvalidInput("Say what the corrected record should say (nothing was changed).", where="correction")
    with door.open(actor, Purpose.SUBJECT_ACCESS, request.subject, _categories(record),
                   action=AuditEvent.RECTIFICATION_DECIDED, sources=[record.source], now=at):
        locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status in CLOSED:
            raise Conflict("This request is already closed.")
        where = record.source.organisation.name
        if outcome is Outcome.CORRECT:
            locked.corrected_record = _supersede(record, changes, actor.id, reason or locked.statement, at)
            _withdraw_flags(request.subject, at)
            raise_alerts([Happening(request.subject_id, Alert.Kind.RECORD_CORRECTED,
                                    f"The data team corrected a record from {where} that the family reported",
                                    locked.corrected_record.pk)])
        elif outcome is Outcome.UNLINK:
            reject_link(record.pk, person_public_id=request.subject.public_id, rejected_by=actor.id,
                        reason=f"{locked.reference}: {reason or locked.statement}")
            _withdraw_flags(request.subject, at)
            raise_alerts([Happening(request.subject_id, Alert.Kind.RECORD_CORRECTED,
                                    f"The data team took a record from {where} off the family's records: "
                                    "the family said it was not about them", record.pk)])
        locked.status, locked.outcome = outcome.status, outcome
        locked.outcome_reason, locked.decided_at, locked.decided_by = reason, at, actor.id
        locked.save()
        _tell_family(locked, at)
        return locked


def _withdraw_flags(person: Person, at: datetime) -> None:
    """Flags computed from a record that changed are withdrawn until the model runs again."""
    FlagNotice.objects.filter(person_ref=person.public_id, status=FlagNotice.Status.ACTIVE).update(
        status=FlagNotice.Status.WITHDRAWN)


def _outcome_text(request: RightsRequest) -> str:
    label = f"{request.record.source.title}" if request.record else "your records"
    why = f"\n\nWhat the data team said: {request.outcome_reason}" if request.outcome_reason else ""
    text = {
        Outcome.CORRECT: f"We have corrected the record from {label}. The old version is kept, marked as replaced.",
        Outcome.ANNOTATE: (f"We have kept the record from {label} as it is, and added what you told us. "
                           "Anyone who sees the record will see your statement beside it."),
        Outcome.UNLINK: (f"We have taken the record from {label} out of your family's records. "
                         "It will not be matched to you again."),
        Outcome.DECLINE: f"We have not changed the record from {label}.",
    }[Outcome(request.outcome)]
    ico = f"\n\n{ICO_ROUTE}" if request.outcome == Outcome.DECLINE else ""
    return f"{text}{why}{ico}"


def _tell_family(request: RightsRequest, at: datetime) -> None:
    subject = f"Your request {request.reference}: {RequestStatus(request.status).label}"
    body = _outcome_text(request)
    Message.objects.create(to=request.requested_by, request=request, subject=subject, body=body, sent_at=at)
    email = getattr(request.requested_by, "email", "")
    if email:
        transaction.on_commit(lambda: send_mail(subject, f"{body}\n\nSign in to your family portal to see it.",
                                                None, [email], fail_silently=True))


def messages_for(user: Any) -> list[Message]:
    return list(Message.objects.filter(to=user).select_related("request").order_by("-sent_at"))


def mark_read(user: Any, at: datetime | None = None) -> int:
    return Message.objects.filter(to=user, read_at__isnull=True).update(read_at=at or timezone.now())


@dataclass(frozen=True)
class Metrics:
    open: int
    overdue: int
    due_soon: int
    closed: int
    median_days_to_resolve: float | None
    closed_late: int


def metrics(*, today: date | None = None) -> Metrics:
    """How the team is doing against the statutory month."""
    today = today or timezone.localdate()
    rows = queue(today=today, include_closed=True)
    closed = [r.request for r in rows if r.request.status in CLOSED]
    durations = [(r.decided_at - r.received_at) / timedelta(days=1) for r in closed if r.decided_at]
    return Metrics(
        open=sum(1 for r in rows if r.clock is not Clock.CLOSED),
        overdue=sum(1 for r in rows if r.clock is Clock.OVERDUE),
        due_soon=sum(1 for r in rows if r.clock is Clock.DUE_SOON),
        closed=len(closed),
        median_days_to_resolve=round(statistics.median(durations), 1) if durations else None,
        closed_late=sum(1 for r in closed if r.decided_at and timezone.localdate(r.decided_at) > r.due_on),
    )


__all__ = [
    "ICO_ROUTE",
    "Correction",
    "Metrics",
    "QueueRow",
    "RecordMark",
    "assign",
    "clock_of",
    "decide",
    "disputed_people",
    "mark_read",
    "marks_for",
    "messages_for",
    "metrics",
    "queue",
    "read_request",
    "record_of",
    "record_subject_access",
    "report",
    "request_for_parent",
    "requests_for",
    "team_request",
]
