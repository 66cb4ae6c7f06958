"""Everything a parent may see about their family, gathered through the policy door.

One function, ``disclose``, serves every portal page and the download, so
what a parent sees on screen and what they download can never differ. Each
person (the parent, then each child under their parental responsibility) is
read in its own ``door.open``: the door decides and audits per person, and a
child who has turned 18 drops out with a note, not an error.
"""

from __future__ import annotations

import json
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
from famlink.adapters.storage.linkage.store import person_links
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.adapters.storage.registers.store import object_to_notice
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent
from famlink.core.errors import AccessDenied, NotFound
from famlink.core.policy import (
    Actor,
    LoggedAccess,
    LogShowing,
    Role,
    access_log_reason_shown,
    access_log_showing,
)
from famlink.core.registers import load_contractors
from famlink.core.rights import validate_statement
from famlink.core.sources.retention import retention_end
from famlink.core.taxonomy import (
    PURPOSE_LABELS,
    DataCategory,
    Purpose,
    RecordCategory,
    RecordStatus,
)
from famlink.services.governance import consent as consents
from famlink.services.governance import door, sensitive
from famlink.services.governance.audit.proofs import prove
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
CATEGORY_WORDS = {
    RecordCategory.HEALTH_REGISTRATION: "Registered with a doctor", RecordCategory.HEALTH_APPOINTMENT: "Health appointment",
    RecordCategory.HEALTH_AE_ATTENDANCE: "Visit to A&E", RecordCategory.EDUCATION_ENROLMENT: "School place",
    RecordCategory.EDUCATION_ATTENDANCE: "School attendance", RecordCategory.EDUCATION_EXCLUSION: "School exclusion",
    RecordCategory.SOCIAL_CARE_REFERRAL: "Referral to children's services",
    RecordCategory.SOCIAL_CARE_ASSESSMENT: "Children's services assessment",
    RecordCategory.SOCIAL_CARE_OUTCOME: "Children's services outcome", RecordCategory.POLICE_INCIDENT: "Police incident",
    RecordCategory.HOUSING_TENANCY: "Housing tenancy", RecordCategory.HOUSING_ARREARS: "Rent arrears",
    RecordCategory.WELFARE_BENEFIT: "Benefit", RecordCategory.OTHER: "Other record",
}
STATUS_WORDS = {
    RecordStatus.ATTENDED: "Attended", RecordStatus.DID_NOT_ATTEND: "Did not attend",
    RecordStatus.CANCELLED_BY_PROVIDER: "Cancelled by the service", RecordStatus.SUBSTANTIATED: "Concerns confirmed",
    RecordStatus.UNSUBSTANTIATED: "Concerns not confirmed (unsubstantiated)",
    RecordStatus.NO_FURTHER_ACTION: "No further action", RecordStatus.OPEN: "Open", RecordStatus.CLOSED: "Closed",
    RecordStatus.ONGOING: "Ongoing",
}


@dataclass
class RecordView:
    id: int
    organisation: str
    source: str
    source_title: str
    category: str
    category_label: str
    event_date: date | None
    status: str
    status_label: str
    note: str
    received_at: datetime
    retention_ends: date | None
    version: int
    history: list[dict[str, Any]]
    marks: list[requests.RecordMark]

    @property
    def disputed(self) -> bool:
        return any(m.disputed for m in self.marks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "organisation": self.organisation, "source": self.source, "source_title": self.source_title,
            "category": self.category, "event_date": self.event_date.isoformat() if self.event_date else None,
            "status": self.status, "status_label": self.status_label, "note": self.note,
            "received_at": self.received_at.isoformat(),
            "retention_ends": self.retention_ends.isoformat() if self.retention_ends else None,
            "version": self.version, "history": self.history, "disputed": self.disputed,
            "statements": [m.as_dict() for m in self.marks],
        }


@dataclass
class PersonView:
    public_id: str
    name: str
    date_of_birth: date | None
    relation: str  # "you" or "your child"
    records: list[RecordView] = field(default_factory=list)
    addresses: list[sensitive.AddressLine] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    opt_outs: dict[str, bool] = field(default_factory=dict)
    receipts: list[dict[str, Any]] = field(default_factory=list)

    def by_organisation(self) -> list[tuple[str, list[RecordView]]]:
        grouped: dict[str, list[RecordView]] = {}
        for record in self.records:
            grouped.setdefault(record.organisation, []).append(record)
        return sorted(grouped.items())

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.public_id, "name": self.name, "relation": self.relation,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "records": [r.as_dict() for r in self.records],
            "addresses": [a.as_dict() for a in self.addresses], "links": self.links, "flags": self.flags,
            "consents": self.consents, "opt_outs": self.opt_outs, "consent_receipts": self.receipts,
        }


@dataclass
class AccessView:
    index: int
    when: datetime
    who: str
    role: str
    organisation: str
    purpose: str
    purpose_label: str
    about: str
    action: str
    allowed: bool
    justification: str
    provable: bool

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.index, "when": self.when.isoformat(), "who": self.who, "role": self.role,
                "organisation": self.organisation, "purpose": self.purpose, "about": self.about,
                "action": self.action, "allowed": self.allowed, "justification": self.justification}


@dataclass
class Disclosure:
    people: list[PersonView]
    not_shown: list[str] = field(default_factory=list)
    access_log: list[AccessView] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    contractors: list[dict[str, Any]] = field(default_factory=list)
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "https://famlink.example/schemas/subject-access-export.v1.json",
            "generated_at": self.generated_at.isoformat(),
            "people": [p.as_dict() for p in self.people],
            "not_shown": self.not_shown,
            "access_log": [a.as_dict() for a in self.access_log],
            "organisations": self.organisations,
            "contractors": self.contractors,
        }


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


def _history(record: SourceRecord) -> list[dict[str, Any]]:
    out, walker = [], record.supersedes
    while walker is not None:
        out.append({"version": walker.version, "status": walker.status, "event_date":
                    walker.event_date.isoformat() if walker.event_date else None, "note": walker.note,
                    "received_at": walker.received_at.isoformat()})
        walker = walker.supersedes
    if out:
        out[0]["replaced_because"] = record.correction_reason
        out[0]["replaced_by"] = record.corrected_by
    return out


def _records(grant: door.Grant, person: Person, sources: dict[int, _SourceFacts]) -> list[RecordView]:
    rows = sensitive.shown_records(grant, holdings.linked_records(person).filter(superseded_by__isnull=True)
                                   .only(*_SHOWN_FIELDS).order_by("-event_date", "pk"))
    _source_facts({r.source_id for r in rows}, sources)
    marks = requests.marks_for([r.pk for r in rows])
    out = []
    for r in rows:
        category = RecordCategory(r.category)
        status = RecordStatus(r.status) if r.status else None
        source = sources[r.source_id]
        out.append(RecordView(
            id=r.pk, organisation=source.organisation, source=source.name, source_title=source.title,
            category=r.category, category_label=CATEGORY_WORDS[category],
            event_date=r.event_date, status=r.status, status_label=STATUS_WORDS.get(status, "") if status else "",
            note=r.note, received_at=r.received_at,
            retention_ends=retention_end(r.event_date, r.received_at.date(), source.retention_years),
            version=r.version, history=_history(r) if r.supersedes_id else [], marks=marks.get(r.pk, [])))
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


def _flags(person: Person, disputed: bool) -> list[dict[str, Any]]:
    out = []
    for notice in FlagNotice.objects.filter(person_ref=person.public_id).order_by("-created_at"):
        out.append({
            "id": notice.pk, "model": notice.model_id, "title": notice.title, "message": notice.message,
            "score": round(notice.score, 3), "inputs": notice.inputs, "status": notice.status,
            "how_to_object": notice.how_to_object, "created_at": notice.created_at.isoformat(),
            "based_on_disputed_records": disputed,
        })
    return out


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


def _access_log(actor: Actor, people: dict[str, str], now: datetime) -> list[AccessView]:
    """What staff and systems did with the family's data, as ``access_log_showing`` (core policy) says.

    The viewer's own entries are not read at all (the rule leaves them out anyway).
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
            role=row.actor_role.replace("_", " ") if full else "", organisation=row.organisation if full else "",
            purpose=row.purpose or "", about=people[row.subject_id or ""],
            purpose_label=PURPOSE_LABELS[purpose] if purpose else "", action=AuditEvent(row.action).value,
            allowed=row.decision == "allow", justification=justification,
            provable=full and row.index < latest))  # a proof holds the entry, and so who made it
        if len(out) == ACCESS_LOG_LIMIT:
            break
    return out


def _organisations(people: list[PersonView]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sources: dict[str, dict[str, Any]] = {}
    for person in people:
        for record in person.records:
            sources.setdefault(record.source, {"organisation": record.organisation, "source": record.source_title})
    orgs: dict[str, dict[str, Any]] = {}
    for source in Source.objects.filter(name__in=sources).select_related("organisation"):
        org = orgs.setdefault(source.organisation.name, {
            "name": source.organisation.name, "type": source.organisation.organisation_type,
            "contact": source.organisation.contact, "datasets": []})
        org["datasets"].append({"title": source.title, "lawful_basis": source.lawful_basis,
                                "purposes": [PURPOSE_LABELS[Purpose(p)] for p in source.purposes],
                                "kept_for_years": source.retention_years})
    contractors = [
        {"name": c.name, "companies_house_number": c.companies_house_number, "what_it_does": c.what_it_does,
         "data_stored_at": c.data_stored_at, "contract_end": c.contract_end.isoformat(),
         "sources": sorted(set(c.sources) & set(sources))}
        for c in load_contractors() if set(c.sources) & set(sources)
    ]
    return sorted(orgs.values(), key=lambda o: o["name"]), contractors


def disclose(actor: Actor, parent: Person, parts: frozenset[Part] = ALL_PARTS, *,
             action: AuditEvent = AuditEvent.RECORD_VIEWED, now: datetime | None = None) -> Disclosure:
    """What ``actor`` (a verified parent) may see of their family, read through the door."""
    now = now or timezone.now()
    result = Disclosure(people=[], generated_at=now)
    categories = (DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.DERIVED,
                  *[DataCategory.for_record_category(c) for c in RecordCategory])
    people = family_of(parent, timezone.localdate(now))
    sources: dict[int, _SourceFacts] = {}
    disputed = requests.disputed_people([p.public_id for p in people])
    for person in people:
        try:
            with door.open(actor, Purpose.SUBJECT_ACCESS, person, categories, action=action, now=now) as grant:
                view = PersonView(public_id=person.public_id, name=person.display_name,
                                  date_of_birth=person.date_of_birth,
                                  relation="you" if person.pk == parent.pk else "your child")
                if parts & {Part.RECORDS, Part.ORGANISATIONS}:
                    view.records = _records(grant, person, sources)
                if Part.RECORDS in parts:
                    view.addresses = _addresses(grant, person)
                if Part.LINKS in parts:
                    view.links = _links(grant, person)
                if Part.FLAGS in parts:
                    view.flags = _flags(person, person.public_id in disputed)
                if Part.CONSENT in parts:
                    view.consents = consents.consent_summary(person, now)
                    view.opt_outs = consents.opt_outs(person)
                    view.receipts = consents.receipts(person)
        except AccessDenied:
            if person.pk == parent.pk:
                raise
            result.not_shown.append(
                f"{person.display_name or 'One of your children'} is not shown. If they are 18 or over, "
                "they can ask for their own records.")
            continue
        result.people.append(view)
    if Part.ACCESS_LOG in parts:
        result.access_log = _access_log(actor, {p.public_id: p.name for p in result.people}, now)
    if Part.ORGANISATIONS in parts:
        result.organisations, result.contractors = _organisations(result.people)
    return result


def _links(grant: door.Grant, person: Person) -> list[dict[str, Any]]:
    """How the person's records were matched, between records this grant may show (a link names both)."""
    try:
        links = person_links(person.public_id)
    except NotFound:
        return []
    kept = {r.pk for r in sensitive.shown_records(grant, holdings.linked_records(person).only(
        "id", "category", "sensitive", "address", "postcode", "event_date"))}
    return [link for link in links if link["record_id"] in kept and link["other_record_id"] in kept]


def object_to_flag(actor: Actor, parent: Person, flag_id: int | str, why: str = "") -> None:
    """A parent objects to a flag the door showed them: it is withdrawn and not raised again."""
    shown = disclose(actor, parent, frozenset({Part.FLAGS}))
    for person in shown.people:
        for flag in person.flags:
            if str(flag["id"]) == str(flag_id) and flag["status"] == FlagNotice.Status.ACTIVE:
                notice = FlagNotice.objects.get(pk=flag["id"])
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


__all__ = ["ALL_PARTS", "AccessView", "Disclosure", "Part", "PersonView", "RecordView", "disclose", "family_of",
           "object_to_flag",
           "proof_for"]
