"""A practitioner's view of one person's records, read only through the policy door.

The API's first real use case: the caller names the person, the purpose, the
categories wanted and, for child protection, a break-glass authorisation; the
door decides and audits, and only what the grant allows comes back.
"""

from __future__ import annotations

from typing import Any

from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.policy import Actor
from famlink.core.taxonomy import DataCategory, Purpose, RecordCategory
from famlink.services.governance import door, sensitive
from famlink.services.rights.disclosure import history_of
from famlink.services.rights.requests import RecordMark, marks_for
from famlink.services.workspace.reading import authorisation, person_by_id


def categories_held(public_id: str) -> set[DataCategory]:
    """The data categories of the records linked to a person (no record content, so no door)."""
    person = person_by_id(public_id)
    kinds = holdings.linked_records(person).values_list("category", flat=True).distinct()
    return {DataCategory.for_record_category(RecordCategory(c)) for c in kinds}


def person_records(actor: Actor, public_id: str, purpose: Purpose, categories: set[DataCategory],
                   break_glass: int | None = None) -> dict[str, Any]:
    """One person's records in the categories asked for, as the door allows, with the family's statements beside them."""
    person = person_by_id(public_id)
    wanted = [c for c in RecordCategory if DataCategory.for_record_category(c) in categories]
    records = holdings.linked_records(person).select_related("source").filter(category__in=wanted)
    sources = Source.objects.filter(pk__in=records.values("source")).select_related("organisation")
    with door.open(actor, purpose, person, categories, sources=sources, break_glass=authorisation(break_glass)) as grant:
        body: dict[str, Any] = {"person": person.public_id, "purpose": purpose.value,
                                "obligations": [str(o) for o in grant.decision.obligations]}
        if DataCategory.IDENTITY in categories:
            body["identity"] = {"name": person.display_name,
                                "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None}
        if DataCategory.CONTACT in categories:
            body["addresses"] = [{"address": a.address, "postcode": a.postcode, "household": a.household}
                                 for a in sensitive.shown_addresses(grant, person)]
        shown = sensitive.shown_records(grant, records.order_by("source_id", "local_id", "version"))
        marks = marks_for([r.pk for r in shown])
        body["records"] = [_record(r, marks.get(r.pk, [])) for r in shown]
    return body




def _record(record: SourceRecord, marks: list[RecordMark]) -> dict[str, Any]:
    """One record (its current version), with the family's statements beside it (the ``show_disputes``
    obligation) and what it said before any correction, as the portal shows it."""
    history = history_of(record) if record.supersedes_id else ()
    return {
        "disputed": any(m.disputed for m in marks), "statements": [m.as_dict() for m in marks],
        "source": record.source.name, "local_id": record.local_id, "version": record.version,
        "category": record.category, "event_date": record.event_date.isoformat() if record.event_date else None,
        "status": record.status, "note": record.note, "received_at": record.received_at.isoformat(),
        "history": [{"version": h.version, "status": h.status.value if h.status else "",
                     "event_date": h.event_date.isoformat() if h.event_date else None, "note": h.note,
                     "received_at": h.received_at.isoformat(), "replaced_because": h.replaced_because}
                    for h in history],
    }
