"""Everything a parent may see about their family, gathered through the policy door.

One function, ``disclose``, serves every portal page and the download, so
what a parent sees on screen and what they download can never differ. Each
person (the parent, then each child under their parental responsibility) is
read in its own ``door.open``: the door decides and audits per person, and a
child who has turned 18 drops out with a note, not an error.

The views are typed values (enums, dates), not words: the pages word them
in the reader's language (``famlink.web.words``), and the downloads in
English (``download_words``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    NotificationWithholding,
    PublishedTreeHead,
)
from famlink.adapters.storage.linkage.run_log import leaves_of
from famlink.adapters.storage.linkage.store import person_links
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.adapters.storage.registers.store import object_to_notice
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent
from famlink.core.audit.runs import KeptApartBecause, RunLeaf
from famlink.core.errors import AccessDenied, NotFound
from famlink.core.policy import (
    Actor,
    LoggedAccess,
    LogShowing,
    Relation,
    Role,
    access_log_reason_shown,
    access_log_showing,
)
from famlink.core.registers import load_contractors
from famlink.core.rights import validate_statement
from famlink.core.sources.retention import retention_end
from famlink.core.taxonomy import (
    DataCategory,
    Purpose,
    RecordCategory,
    RecordStatus,
)
from famlink.services.governance import consent as consents
from famlink.services.governance import door, sensitive
from famlink.services.governance.audit.proofs import prove
from famlink.services.governance.audit.run_proofs import prove_run
from famlink.services.governance.consent import ConsentStanding
from famlink.services.linkage.gate import LINKAGE
from famlink.services.rights import requests

#: Most recent access-log entries shown per page and per download (the log itself is complete).
ACCESS_LOG_LIMIT = 500


class Part(StrEnum):
    """Which parts of the family's data a page needs (the download takes all)."""

    RECORDS = "part:records"
    LINKS = "part:links"
    FLAGS = "part:flags"
    ACCESS_LOG = "part:access_log"
    ORGANISATIONS = "part:organisations"
    CONSENT = "part:consent"


ALL_PARTS = frozenset(Part)


@dataclass(frozen=True)
class HistoryEntry:
    """An earlier version of a record; the newest earlier one says why and by whom it was replaced."""

    version: int
    status: RecordStatus | None
    event_date: date | None
    note: str
    received_at: datetime
    replaced_because: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class RecordView:
    """One record as a parent sees it: values, not words (``famlink.web.words`` words them)."""

    id: int
    organisation: str
    source: str
    source_title: str
    category: RecordCategory
    event_date: date | None
    status: RecordStatus | None
    note: str
    received_at: datetime
    retention_ends: date | None
    version: int
    history: tuple[HistoryEntry, ...]
    marks: tuple[requests.RecordMark, ...]

    @property
    def disputed(self) -> bool:
        return any(m.disputed for m in self.marks)


@dataclass(frozen=True)
class LinkView:
    """Why two of a person's records were matched (the reasons come from linkage, in words)."""

    record: str
    other_record: str
    record_id: int
    other_record_id: int
    match_probability: float
    confidence: str
    explanation: str
    evidence: tuple[dict[str, Any], ...]

    @property
    def percent(self) -> float:
        return round(100 * self.match_probability, 1)


@dataclass(frozen=True)
class FlagView:
    """What a computer model said about a person, with what it used and how to object."""

    id: int
    model: str
    title: str
    message: str
    score: float
    inputs: tuple[dict[str, Any], ...]
    status: FlagNotice.Status
    how_to_object: str
    created_at: datetime
    based_on_disputed_records: bool

    @property
    def active(self) -> bool:
        return self.status == FlagNotice.Status.ACTIVE


@dataclass(frozen=True)
class PersonView:
    public_id: str
    name: str
    date_of_birth: date | None
    relation: Relation  # OWN (the parent) or CHILD_UNDER_PR
    records: tuple[RecordView, ...] = ()
    addresses: tuple[sensitive.AddressLine, ...] = ()
    links: tuple[LinkView, ...] = ()
    flags: tuple[FlagView, ...] = ()
    consents: tuple[ConsentStanding, ...] = ()
    opt_outs: Mapping[str, bool] = field(default_factory=dict)
    receipts: tuple[dict[str, Any], ...] = ()
    #: Some of the person's records are hidden from this viewer (safeguarding-sensitive): a linkage run's
    #: counts and proof would say they exist. Read only for the access log.
    records_hidden: bool = False

    @property
    def is_parent(self) -> bool:
        return self.relation is Relation.OWN

    def by_organisation(self) -> list[tuple[str, list[RecordView]]]:
        grouped: dict[str, list[RecordView]] = {}
        for record in self.records:
            grouped.setdefault(record.organisation, []).append(record)
        return sorted(grouped.items())


@dataclass(frozen=True)
class RunLine:
    """What one linkage run did with one person's records, from the leaf the run committed to."""

    run: int
    person_id: str
    matched_on: date
    records_joined: int
    services: int
    services_kept_apart: int
    because: KeptApartBecause | None
    own: bool  # the parent's own records (else a child's)
    break_glass: bool
    #: Some of the person's records are hidden from this viewer: only the date is shown, and no proof
    #: (the leaf counts every record and names every service, so it would say the hidden ones exist).
    counts_hidden: bool = False


@dataclass(frozen=True)
class AccessView:
    """One entry of the family's access log, as ``access_log_showing`` lets this parent see it.

    ``who``, ``role`` and ``organisation`` are empty (None) for an entry shown
    only as "a request we refused".
    """

    index: int
    when: datetime
    who: str
    role: Role | None
    organisation: str
    purpose: Purpose | None
    about: str
    action: AuditEvent
    allowed: bool
    justification: str
    provable: bool
    run: RunLine | None = None  # a linkage run: its proof is the two-level one (``run_proof_for``)


@dataclass(frozen=True)
class DatasetView:
    title: str
    lawful_basis: str
    purposes: tuple[Purpose, ...]
    kept_for_years: int


@dataclass(frozen=True)
class OrganisationView:
    name: str
    type: str
    contact: str
    datasets: tuple[DatasetView, ...]


@dataclass(frozen=True)
class ContractorView:
    name: str
    companies_house_number: str
    what_it_does: str
    data_stored_at: str
    contract_end: date
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Disclosure:
    """What one parent may see of their family. ``not_shown``: names of children the door left out."""

    people: tuple[PersonView, ...]
    not_shown: tuple[str, ...] = ()
    access_log: tuple[AccessView, ...] = ()
    organisations: tuple[OrganisationView, ...] = ()
    contractors: tuple[ContractorView, ...] = ()
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def flag_count(self) -> int:
        return sum(len(p.flags) for p in self.people)

    def record(self, public_id: str, record_id: str) -> tuple[PersonView, RecordView]:
        """One record the door showed this family; anything else is 'not found'."""
        person = self.person(public_id)
        for record in person.records:
            if str(record.id) == str(record_id):
                return person, record
        raise NotFound("There is no such record in your family's records.")

    def person(self, public_id: str) -> PersonView:
        for person in self.people:
            if person.public_id == public_id:
                return person
        raise NotFound("There is no such person in your family's records.")


def family_of(parent: Person, today: date) -> list[Person]:
    """The parent, then each child they hold parental responsibility for today."""
    current = Q(to_date__isnull=True) | Q(to_date__gte=today)
    children = (Relationship.objects.filter(current, from_person=parent, kind=Relationship.Kind.PARENT_OF,
                                            parental_responsibility=True)
                .select_related("to_person").order_by("to_person__date_of_birth", "to_person__public_id"))
    return [parent, *(r.to_person for r in children)]


@dataclass(frozen=True)
class _SourceFacts:
    """What a record shows of its source: read once per page, not joined into every record row."""

    name: str
    title: str
    organisation: str
    retention_years: int


#: The record columns a parent's page shows; identifiers and raw attributes stay in the database.
_SHOWN_FIELDS = ("id", "source_id", "category", "event_date", "status", "note", "sensitive", "received_at",
                 "version", "supersedes_id", "correction_reason", "corrected_by", "address", "postcode")


def _source_facts(source_ids: set[int], known: dict[int, _SourceFacts]) -> dict[int, _SourceFacts]:
    missing = source_ids - known.keys()
    if missing:
        for name, title, organisation, years, pk in (
                Source.objects.filter(pk__in=missing)
                .values_list("name", "title", "organisation__name", "retention_years", "pk")):
            known[pk] = _SourceFacts(name, title, organisation, years)
    return known


def _status(value: str) -> RecordStatus | None:
    return RecordStatus(value) if value else None


def history_of(record: SourceRecord) -> tuple[HistoryEntry, ...]:
    """A record's earlier versions, newest first: every view of a corrected record shows what it said before."""
    out: list[HistoryEntry] = []
    walker = record.supersedes
    while walker is not None:
        replaced = not out  # the newest earlier version says why it was replaced
        out.append(HistoryEntry(
            version=walker.version, status=_status(walker.status), event_date=walker.event_date, note=walker.note,
            received_at=walker.received_at, replaced_because=record.correction_reason if replaced else None,
            replaced_by=record.corrected_by if replaced else None))
        walker = walker.supersedes
    return tuple(out)


def _records(grant: door.Grant, person: Person, sources: dict[int, _SourceFacts]) -> list[RecordView]:
    rows = sensitive.shown_records(grant, holdings.linked_records(person).only(*_SHOWN_FIELDS)
                                   .order_by("-event_date", "pk"))
    _source_facts({r.source_id for r in rows}, sources)
    marks = requests.marks_for([r.pk for r in rows])
    out = []
    for r in rows:
        source = sources[r.source_id]
        out.append(RecordView(
            id=r.pk, organisation=source.organisation, source=source.name, source_title=source.title,
            category=RecordCategory(r.category), event_date=r.event_date, status=_status(r.status),
            note=r.note, received_at=r.received_at, retention_ends=retention_end(r.event_date, r.received_at.date(), source.retention_years),
            version=r.version, history=history_of(r) if r.supersedes_id else (), marks=tuple(marks.get(r.pk, ()))))
    return out


def _addresses(grant: door.Grant, person: Person) -> list[sensitive.AddressLine]:
    """Where the person lived, each home and period once (a child in two households is at one address once)."""
    seen: set[tuple[str, str, date | None, date | None]] = set()
    out = []
    for line in sensitive.shown_addresses(grant, person):
        key = (line.address, line.postcode, line.from_date, line.to_date)
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out


def _flags(person: Person, disputed: bool) -> tuple[FlagView, ...]:
    return tuple(
        FlagView(id=notice.pk, model=notice.model_id, title=notice.title, message=notice.message,
                 score=round(notice.score, 3), inputs=tuple(notice.inputs), status=FlagNotice.Status(notice.status),
                 how_to_object=notice.how_to_object, created_at=notice.created_at,
                 based_on_disputed_records=disputed)
        for notice in FlagNotice.objects.filter(person_ref=person.public_id).order_by("-created_at"))


def _withheld(people: list[Person], now: datetime) -> set[str]:
    rows = NotificationWithholding.objects.filter(subject__in=people, decided_at__lte=now, until__gt=now)
    return set(rows.values_list("subject__public_id", flat=True))


def _family_actors(people: dict[str, str]) -> set[str]:
    """Who counts as family in the access log: these people and anyone tied to them, by account name and id."""
    persons = Person.objects.filter(public_id__in=list(people))
    tied = Relationship.objects.filter(Q(from_person__in=persons) | Q(to_person__in=persons))
    ids = {*persons.values_list("pk", flat=True), *tied.values_list("from_person_id", flat=True),
           *tied.values_list("to_person_id", flat=True)}
    return {*Account.objects.filter(person_id__in=ids).values_list("user__username", flat=True),
            *Person.objects.filter(pk__in=ids).values_list("public_id", flat=True)}


def _run_lines(actor: Actor, people: dict[str, str], parent_id: str, withheld: set[str],
               latest: int, hidden: set[str]) -> list[AccessView]:
    """Each linkage run, for each of these people it included, as the same access-log rule shows it.

    A run commits to one leaf per person in one entry with no subject
    (docs/audit.md §9), so its lines come from the leaves, not the entry.
    """
    out: list[AccessView] = []
    for stored in leaves_of(people):
        leaf = RunLeaf.from_bytes(stored.leaf)
        entry = LoggedAccess(actor_id=LINKAGE.id, actor_role=LINKAGE.role, allowed=True,
                             purpose=Purpose.RECORD_LINKAGE, withheld=stored.person in withheld,
                             break_glass=leaf.break_glass)
        if access_log_showing(actor, entry) is not LogShowing.IN_FULL:
            continue
        line = RunLine(run=leaf.run, person_id=leaf.person, matched_on=date.fromisoformat(leaf.run_date),
                       records_joined=leaf.records_joined, services=len(leaf.services),
                       services_kept_apart=len(leaf.kept_apart), because=leaf.because,
                       own=leaf.person == parent_id, break_glass=leaf.break_glass,
                       counts_hidden=stored.person in hidden)
        out.append(AccessView(
            index=stored.audit_index, when=stored.run_started, who=LINKAGE.id, role=LINKAGE.role,
            organisation=LINKAGE.organisation, purpose=Purpose.RECORD_LINKAGE, about=people[stored.person],
            action=AuditEvent.LINKAGE_RUN, allowed=True, justification="",
            provable=stored.audit_index < latest and not line.counts_hidden, run=line))
    return out


def _access_log(actor: Actor, people: dict[str, str], now: datetime, parent_id: str = "",
                hidden: set[str] | None = None) -> list[AccessView]:
    """What staff and systems did with the family's data, as ``access_log_showing`` (core policy) says.

    The viewer's own entries are not read at all (the rule leaves them out
    anyway). Linkage runs are listed for each person they included.
    """
    sequence_pending()  # entries written ahead are placed first, so none is missing here
    withheld = _withheld(list(Person.objects.filter(public_id__in=people)), now)
    family = _family_actors(people)
    latest = PublishedTreeHead.objects.order_by("-size").values_list("size", flat=True).first() or 0
    rows = (AuditLogEntry.objects.filter(subject_id__in=list(people)).exclude(actor_id=actor.id)
            .order_by("-index"))
    out: list[AccessView] = []
    for row in rows.iterator(chunk_size=ACCESS_LOG_LIMIT):
        purpose = Purpose(row.purpose) if row.purpose else None
        facts = json.loads(bytes(row.entry_bytes))
        entry = LoggedAccess(
            actor_id=row.actor_id, actor_role=Role(row.actor_role), allowed=row.decision == "allow",
            purpose=purpose, actor_in_family=row.actor_id in family, withheld=row.subject_id in withheld,
            break_glass=bool(facts.get("justification")))
        showing = access_log_showing(actor, entry)
        if showing is LogShowing.NOT_SHOWN:
            continue
        full = showing is LogShowing.IN_FULL
        justification = facts.get("justification", "") if full and access_log_reason_shown(entry) else ""
        out.append(AccessView(
            index=row.index, when=row.occurred_at, who=row.actor_id if full else "",
            role=Role(row.actor_role) if full else None, organisation=row.organisation if full else "",
            purpose=purpose, about=people[row.subject_id or ""], action=AuditEvent(row.action),
            allowed=row.decision == "allow", justification=justification,
            provable=full and row.index < latest))  # a proof holds the entry, and so who made it
        if len(out) == ACCESS_LOG_LIMIT:
            break
    out += _run_lines(actor, people, parent_id, withheld, latest, hidden or set())
    out.sort(key=lambda a: (a.index, a.run is not None), reverse=True)  # newest first, as the log placed them
    return out[:ACCESS_LOG_LIMIT]


def _organisations(people: list[PersonView]) -> tuple[tuple[OrganisationView, ...], tuple[ContractorView, ...]]:
    sources = {record.source for person in people for record in person.records}
    found: dict[str, tuple[Any, list[DatasetView]]] = {}
    for source in Source.objects.filter(name__in=sources).select_related("organisation"):
        _, datasets = found.setdefault(source.organisation.name, (source.organisation, []))
        datasets.append(DatasetView(title=source.title, lawful_basis=source.lawful_basis,
                                    purposes=tuple(Purpose(p) for p in source.purposes),
                                    kept_for_years=source.retention_years))
    organisations = tuple(
        OrganisationView(name=name, type=org.organisation_type, contact=org.contact, datasets=tuple(datasets))
        for name, (org, datasets) in sorted(found.items()))
    contractors = tuple(
        ContractorView(name=c.name, companies_house_number=c.companies_house_number, what_it_does=c.what_it_does,
                       data_stored_at=c.data_stored_at, contract_end=c.contract_end,
                       sources=tuple(sorted(set(c.sources) & sources)))
        for c in load_contractors() if set(c.sources) & sources)
    return organisations, contractors


def disclose(actor: Actor, parent: Person, parts: frozenset[Part] = ALL_PARTS, *,
             action: AuditEvent = AuditEvent.RECORD_VIEWED, now: datetime | None = None) -> Disclosure:
    """What ``actor`` (a verified parent) may see of their family, read through the door."""
    now = now or timezone.now()
    categories = (DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.DERIVED,
                  *[DataCategory.for_record_category(c) for c in RecordCategory])
    people = family_of(parent, timezone.localdate(now))
    sources: dict[int, _SourceFacts] = {}
    disputed = requests.disputed_people([p.public_id for p in people])
    shown: list[PersonView] = []
    not_shown: list[str] = []
    for person in people:
        try:
            with door.open(actor, Purpose.SUBJECT_ACCESS, person, categories, action=action, now=now) as grant:
                shown.append(_person(grant, person, parent, parts, sources, person.public_id in disputed, now))
        except AccessDenied:
            if person.pk == parent.pk:
                raise
            not_shown.append(person.display_name)
    access_log = (_access_log(actor, {p.public_id: p.name for p in shown}, now, parent.public_id,
                              {p.public_id for p in shown if p.records_hidden})
                  if Part.ACCESS_LOG in parts else [])
    organisations, contractors = _organisations(shown) if Part.ORGANISATIONS in parts else ((), ())
    return Disclosure(people=tuple(shown), not_shown=tuple(not_shown), access_log=tuple(access_log),
                      organisations=organisations, contractors=contractors, generated_at=now)


def _person(grant: door.Grant, person: Person, parent: Person, parts: frozenset[Part],
            sources: dict[int, _SourceFacts], disputed: bool, now: datetime) -> PersonView:
    """The parts of one person this grant was opened for (read inside the door)."""
    consent = Part.CONSENT in parts
    return PersonView(
        public_id=person.public_id, name=person.display_name, date_of_birth=person.date_of_birth,
        relation=Relation.OWN if person.pk == parent.pk else Relation.CHILD_UNDER_PR,
        records=tuple(_records(grant, person, sources)) if parts & {Part.RECORDS, Part.ORGANISATIONS} else (),
        addresses=tuple(_addresses(grant, person)) if Part.RECORDS in parts else (),
        links=_links(grant, person) if Part.LINKS in parts else (),
        flags=_flags(person, disputed) if Part.FLAGS in parts else (),
        consents=tuple(consents.consent_summary(person, now)) if consent else (),
        opt_outs=consents.opt_outs(person) if consent else {},
        receipts=tuple(consents.receipts(person)) if consent else (),
        records_hidden=_records_hidden(grant, person) if Part.ACCESS_LOG in parts else False,
    )


def _records_hidden(grant: door.Grant, person: Person) -> bool:
    """Whether this grant hides any of the person's records (a refuge's, from the parent it protects against)."""
    held = list(holdings.linked_records(person).only("id", "category", "sensitive", "address", "postcode",
                                                     "event_date"))
    return len(sensitive.shown_records(grant, held)) != len(held)


def _links(grant: door.Grant, person: Person) -> tuple[LinkView, ...]:
    """How the person's records were matched, between records this grant may show (a link names both)."""
    try:
        links = person_links(person.public_id)
    except NotFound:
        return ()
    kept = {r.pk for r in sensitive.shown_records(grant, holdings.linked_records(person).only(
        "id", "category", "sensitive", "address", "postcode", "event_date"))}
    return tuple(
        LinkView(record=link["record"], other_record=link["other_record"], record_id=link["record_id"],
                 other_record_id=link["other_record_id"], match_probability=float(link["match_probability"]),
                 confidence=link["confidence"], explanation=link["explanation"], evidence=tuple(link["evidence"]))
        for link in links if link["record_id"] in kept and link["other_record_id"] in kept)


def object_to_flag(actor: Actor, parent: Person, flag_id: int | str, why: str = "") -> None:
    """A parent objects to a flag the door showed them: it is withdrawn and not raised again."""
    shown = disclose(actor, parent, frozenset({Part.FLAGS}))
    for person in shown.people:
        for flag in person.flags:
            if str(flag.id) == str(flag_id) and flag.active:
                notice = FlagNotice.objects.get(pk=flag.id)
                object_to_notice(notice.pk, notice.household_ref, validate_statement(
                    why, where="why", required=False))
                return
    raise NotFound("There is no such flag on your family's records.")


def proof_for(actor: Actor, parent: Person, index: int) -> dict[str, Any]:
    """An inclusion proof for one entry of this family's access log; any other entry is 'not found'."""
    shown = disclose(actor, parent, frozenset({Part.ACCESS_LOG}))
    if not any(a.index == index and a.provable for a in shown.access_log):
        raise NotFound("There is no such entry in your family's access log, or it is not in a published log yet.")
    return prove(index)


def run_proof_for(actor: Actor, parent: Person, run: int, person_id: str) -> dict[str, Any]:
    """The two-level proof of one linkage run's line in this family's access log; any other is 'not found'."""
    shown = disclose(actor, parent, frozenset({Part.ACCESS_LOG}))
    if not any(a.run is not None and a.run.run == run and a.run.person_id == person_id and a.provable
               for a in shown.access_log):
        raise NotFound("There is no such matching run in your family's access log, or it is not in a published "
                       "log yet.")
    return prove_run(person_id, run)


__all__ = ["ALL_PARTS", "AccessView", "ContractorView", "DatasetView", "Disclosure", "FlagView", "HistoryEntry",
           "LinkView", "OrganisationView", "Part", "PersonView", "RecordView", "RunLine", "disclose", "family_of",
           "history_of", "object_to_flag", "proof_for", "run_proof_for"]
