"""Download everything: a page saying what you get, and the three files (PDF, CSV, JSON).

Each download reads the whole family through the policy door and is logged
as a subject access request fulfilled on the spot
(``famlink.services.rights.export``); the view only names the format.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from famlink.core.audit import AuditEvent
from famlink.services.rights import export
from famlink.web.access import family_page, signed_in_parent
from famlink.web.marks import personal_data, public


@require_GET
@family_page
@public
def start(request: HttpRequest) -> HttpResponse:
    """Says what each file holds; shows no personal data itself."""
    return render(request, "web/portal/download.html")


def _file(request: HttpRequest, fmt: str) -> HttpResponse:
    actor, parent = signed_in_parent(request)
    made = export.export(actor, request.user, parent, fmt)
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'  # not kept: famlink.web.caching
    return response


@require_GET
@family_page
@personal_data(action=AuditEvent.DATA_DOWNLOADED)
def family_json(request: HttpRequest) -> HttpResponse:
    return _file(request, "json")


@require_GET
@family_page
@personal_data(action=AuditEvent.DATA_DOWNLOADED)
def family_csv(request: HttpRequest) -> HttpResponse:
    return _file(request, "csv")


@require_GET
@family_page
@personal_data(action=AuditEvent.DATA_DOWNLOADED)
def family_pdf(request: HttpRequest) -> HttpResponse:
    return _file(request, "pdf")


@require_GET
@public
def schema(request: HttpRequest) -> HttpResponse:
    """The JSON Schema of the JSON download (no personal data: anyone may read it)."""
    return HttpResponse(json.dumps(export.export_schema(), indent=2), content_type="application/schema+json")
