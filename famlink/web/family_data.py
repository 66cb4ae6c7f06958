"""The portal's read pages: records, links, flags, who looked, who holds the data.

Each view parses nothing but the URL, calls ``disclose`` (which reads every
person through the policy door) and renders. Ids in URLs are checked against
what the door returned for this family, never trusted.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from famlink.core.audit import AuditEvent
from famlink.core.taxonomy import Purpose
from famlink.services.rights.disclosure import (
    Part,
    disclose,
    object_to_flag,
    proof_for,
    run_proof_for,
)
from famlink.web import words
from famlink.web.access import family_page, signed_in_parent
from famlink.web.marks import personal_data


def _page(request: HttpRequest, template: str, part: Part, action: AuditEvent = AuditEvent.RECORD_VIEWED,
          **extra: object) -> HttpResponse:
    actor, person = signed_in_parent(request)
    return render(request, template, {"family": disclose(actor, person, frozenset({part}), action=action), **extra})


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def records(request: HttpRequest) -> HttpResponse:
    return _page(request, "web/portal/records.html", Part.RECORDS)


@require_GET
@family_page
@personal_data(action=AuditEvent.LINK_VIEWED)
def links(request: HttpRequest) -> HttpResponse:
    return _page(request, "web/portal/links.html", Part.LINKS, AuditEvent.LINK_VIEWED)


@require_http_methods(["GET", "POST"])
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def flags(request: HttpRequest) -> HttpResponse:
    """The family's flags; a POST objects to one (only a flag the door showed this family)."""
    if request.method == "POST":
        actor, person = signed_in_parent(request)
        object_to_flag(actor, person, request.POST.get("flag", ""), request.POST.get("why", ""))
        messages.success(request, _("We have removed the flag. Your family will not be picked out by this model again."))
        return redirect("portal-flags")
    return _page(request, "web/portal/flags.html", Part.FLAGS)


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def access_log(request: HttpRequest) -> HttpResponse:
    return _page(request, "web/portal/access_log.html", Part.ACCESS_LOG)


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="entry")
def proof(request: HttpRequest, entry: int) -> HttpResponse:
    actor, person = signed_in_parent(request)
    body = json.dumps(proof_for(actor, person, entry), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="famlink-proof-{entry}.json"'
    return response


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person")
def run_proof(request: HttpRequest, run: int, person: str) -> HttpResponse:
    """The two-level proof of one linkage run's line: the person's leaf in the run, the run in the log."""
    actor, parent = signed_in_parent(request)
    body = json.dumps(run_proof_for(actor, parent, run, person), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="famlink-run-{run}-proof-{person}.json"'
    return response


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def organisations(request: HttpRequest) -> HttpResponse:
    return _page(request, "web/portal/organisations.html", Part.ORGANISATIONS,
                 matching=words.consent_model_words(Purpose.RECORD_LINKAGE))
