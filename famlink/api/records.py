"""Practitioner JSON: one person's records, read only through the policy door.

Kept deliberately small: it is the first real user of the door, so the
route-walk and access-matrix tests exercise the machinery end to end.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.models import BreakGlassAuthorisation
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent
from famlink.core.digits import whole_number
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.policy import Role
from famlink.core.taxonomy import DataCategory, Purpose, RecordCategory
from famlink.services.governance import door, sensitive
from famlink.services.rights.requests import RecordMark, marks_for
from famlink.web.marks import personal_data


def _purpose(request: HttpRequest, role: Role) -> Purpose:
    if role is Role.PARENT:
        return Purpose.SUBJECT_ACCESS  # parents see records only to see what is held
    raw = request.GET.get("purpose", Purpose.DIRECT_SERVICE_DELIVERY.value)
    try:
        return Purpose(raw)
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        raise InvalidInput(f"unknown purpose '{raw}'; expected one of: {known}", where="purpose") from None


def _categories(request: HttpRequest, present: set[DataCategory]) -> set[DataCategory]:
    raw = request.GET.get("categories")
    if not raw:
        return {DataCategory.IDENTITY, DataCategory.CONTACT, *present}
    try:
        return {DataCategory(c.strip()) for c in raw.split(",") if c.strip()}
    except ValueError as error:
        raise InvalidInput(f"unknown data category: {error}", where="categories") from None


def _break_glass(request: HttpRequest) -> BreakGlassAuthorisation | None:
    raw = request.GET.get("break_glass")
    if not raw:
        return None
    number = whole_number(raw, where="break_glass", what="the number of an authorisation")
    return BreakGlassAuthorisation.objects.select_related("practitioner__user", "authoriser__user").filter(pk=number).first()


def _record(record: SourceRecord, marks: list[RecordMark]) -> dict[str, Any]:
    """One record, with the family's statements beside it (the ``show_disputes`` obligation)."""
    return {
        "disputed": any(m.disputed for m in marks), "statements": [m.as_dict() for m in marks],
        "source": record.source.name, "local_id": record.local_id, "version": record.version,
        "category": record.category, "event_date": record.event_date.isoformat() if record.event_date else None,
        "status": record.status, "note": record.note, "received_at": record.received_at.isoformat(),
    }


@require_GET
@personal_data(action=AuditEvent.RECORD_VIEWED)
def person_records(request: HttpRequest, public_id: str) -> JsonResponse:
    """``GET /api/persons/<public_id>/records?purpose=...&categories=...&break_glass=...``"""
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise NotFound("no such person")
    actor = actor_for(request.user)
    purpose = _purpose(request, actor.role)
    records = holdings.linked_records(person).select_related("source")
    present = {DataCategory.for_record_category(RecordCategory(c)) for c in records.values_list("category", flat=True).distinct()}
    categories = _categories(request, present)
    wanted = [c for c in RecordCategory if DataCategory.for_record_category(c) in categories]
    records = records.filter(category__in=wanted)
    sources = Source.objects.filter(pk__in=records.values("source")).select_related("organisation")
    with door.open(actor, purpose, person, categories, sources=sources, break_glass=_break_glass(request)) as grant:
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
    return JsonResponse(body)
