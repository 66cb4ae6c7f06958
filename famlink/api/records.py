"""Practitioner JSON: one person's records, read only through the policy door.

Kept deliberately small: it is the first real user of the door, so the
route-walk and access-matrix tests exercise the machinery end to end.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from famlink.adapters.storage.governance.actors import actor_for
from famlink.core.audit import AuditEvent
from famlink.core.digits import whole_number
from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.workspace import records
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


def _categories(request: HttpRequest, public_id: str) -> set[DataCategory]:
    raw = request.GET.get("categories")
    if not raw:
        return {DataCategory.IDENTITY, DataCategory.CONTACT, *records.categories_held(public_id)}
    try:
        return {DataCategory(c.strip()) for c in raw.split(",") if c.strip()}
    except ValueError as error:
        raise InvalidInput(f"unknown data category: {error}", where="categories") from None


def _break_glass(request: HttpRequest) -> int | None:
    raw = request.GET.get("break_glass")
    return whole_number(raw, where="break_glass", what="the number of an authorisation") if raw else None


@require_GET
@personal_data(action=AuditEvent.RECORD_VIEWED)
def person_records(request: HttpRequest, public_id: str) -> JsonResponse:
    """``GET /api/persons/<public_id>/records?purpose=...&categories=...&break_glass=...``"""
    actor = actor_for(request.user)
    body = records.person_records(actor, public_id, _purpose(request, actor.role), _categories(request, public_id),
                                  _break_glass(request))
    return JsonResponse(body)
