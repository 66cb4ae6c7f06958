"""The practitioner workspace: find a person, open their family for a purpose, the family view, the chronology.

Thin views: each parses its input, calls one service in
``famlink.services.workspace`` and renders. Purpose first: the family pages
read the purpose and case reference from the practitioner's current opening
(``@opened_family``, a page guard), never from the URL, and every member is
read through the door by the service.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.services.workspace import chronology as chronologies
from famlink.services.workspace.family import SENSITIVE_BANNER, family_view
from famlink.services.workspace.opening import Opening, open_family
from famlink.services.workspace.search import MAX_MATCHES, PersonQuery, find_people
from famlink.web.access import opened_family, signed_in_staff, staff_page
from famlink.web.forms import ChronologyFilterForm, OpenFamilyForm, SearchForm
from famlink.web.marks import personal_data, public

WORKSPACE_ROLES = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)
#: Other workspace pages (alerts, caseload, break-glass): linked here when they exist.
NAV: tuple[tuple[str, str], ...] = (
    ("Your caseload", "/workspace/caseload/"),
    ("Alerts", "/workspace/alerts/"),
    ("Child-protection access", "/workspace/break-glass/"),
    ("Requests for you to decide", "/workspace/break-glass/to-decide/"),
)


def _opening(request: HttpRequest) -> Opening:
    """The opening ``@opened_family`` handed over (the view reads its purpose here, never from the URL)."""
    opening: Opening = request.famlink_opening  # type: ignore[attr-defined]
    return opening


def _typed(data: QueryDict) -> dict[str, str]:
    """A query or form as a person could have typed it: control characters (which no keyboard sends, and
    which would break the page they are shown back on) are dropped."""
    return {key: "".join(c for c in str(value) if c.isprintable() or c == " ") for key, value in data.items()}


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"workspace_nav": NAV, **extra}


@public
@require_GET
@staff_page(*WORKSPACE_ROLES)
def start(request: HttpRequest) -> HttpResponse:
    """The search form only: no one's data until a purpose and a search are given."""
    return render(request, "web/workspace/start.html", _context(request, form=SearchForm(), max_matches=MAX_MATCHES))


@require_GET
@staff_page(*WORKSPACE_ROLES)
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="")
def search(request: HttpRequest) -> HttpResponseBase:
    form = SearchForm(_typed(request.GET))
    if not form.has_terms():
        return redirect("workspace")
    matches = None
    if form.is_valid():
        data = form.cleaned_data
        query = PersonQuery(name=data["name"], date_of_birth=data["date_of_birth"], postcode=data["postcode"],
                            nhs_number=data["nhs_number"], upn=data["upn"])
        try:
            matches = find_people(signed_in_staff(request), data["purpose"], query)
        except InvalidInput as error:
            form.add_error(error.where if error.where in form.fields else None, error.message)
    status = 400 if form.errors else (200 if matches else 404)  # no match: nothing shown, nothing read
    return render(request, "web/workspace/start.html",
                  _context(request, form=form, matches=matches, searched=True, max_matches=MAX_MATCHES,
                           purpose=form.cleaned_data.get("purpose") if not form.errors else None), status=status)


@public
@require_http_methods(["GET", "POST"])
@staff_page(*WORKSPACE_ROLES)
def open_page(request: HttpRequest, person_id: str) -> HttpResponseBase:
    """State a purpose and a case reference. The form shows no one's data; opening asks the door (and logs it)."""
    form = OpenFamilyForm(_typed(request.POST) if request.method == "POST" else None, initial={
        "purpose": request.GET.get("purpose", ""), "case_reference": request.GET.get("case_reference", ""),
        "break_glass": request.GET.get("break_glass", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            open_family(signed_in_staff(request), person_id, data["purpose"], data["case_reference"],
                        break_glass=data["break_glass"])
        except InvalidInput as error:
            form.add_error(error.where if error.where in form.fields else None, error.message)
        else:
            return redirect("workspace-family", person_id=person_id)
    return render(request, "web/workspace/open.html", _context(request, form=form, person_id=person_id),
                  status=400 if form.errors else 200)


@require_GET
@staff_page(*WORKSPACE_ROLES)
@opened_family
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
def family(request: HttpRequest, person_id: str) -> HttpResponse:
    opening = _opening(request)
    view = family_view(signed_in_staff(request), person_id, opening.purpose, break_glass=opening.break_glass,
                       case_reference=opening.case_reference)
    return render(request, "web/workspace/family.html",
                  _context(request, view=view, opening=opening, banner=SENSITIVE_BANNER))


def _filters(request: HttpRequest) -> tuple[ChronologyFilterForm, chronologies.ChronologyFilter]:
    form = ChronologyFilterForm(_typed(request.GET))
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise InvalidInput(" ".join(str(e) for e in errors), where=field)
    data = form.cleaned_data
    return form, chronologies.ChronologyFilter(person=data["person"], agency=data["agency"],
                                               date_from=data["date_from"], date_to=data["date_to"])


@require_GET
@staff_page(*WORKSPACE_ROLES)
@opened_family
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
def chronology(request: HttpRequest, person_id: str) -> HttpResponse:
    opening = _opening(request)
    form, filters = _filters(request)
    chrono = chronologies.chronology(signed_in_staff(request), person_id, opening.purpose, filters,
                                     break_glass=opening.break_glass, case_reference=opening.case_reference)
    return render(request, "web/workspace/chronology.html",
                  _context(request, chronology=chrono, opening=opening, form=form,
                           query=request.GET.urlencode()))


@require_GET
@staff_page(*WORKSPACE_ROLES)
@opened_family
@personal_data(action=AuditEvent.RECORD_EXPORTED, subject_kwarg="person_id")
def chronology_pdf(request: HttpRequest, person_id: str) -> HttpResponse:
    opening = _opening(request)
    _, filters = _filters(request)
    body = chronologies.chronology_pdf(signed_in_staff(request), person_id, opening.purpose, filters,
                                       break_glass=opening.break_glass, case_reference=opening.case_reference)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="chronology-{person_id}.pdf"'
    return response
