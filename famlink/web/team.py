"""The data team's pages: the request queue with its clock, one request, the metrics.

Reading a request shows a family's record, so it goes through the policy
door under the subject-access purpose (audited like any other read).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from famlink.adapters.storage.accounts.access import staff_role
from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.services.rights import requests as rights_requests
from famlink.web.access import signed_in_staff, staff_page
from famlink.web.forms import DecisionForm
from famlink.web.marks import personal_data, public
from famlink.web.portal import Section

SECTIONS = (
    Section(gettext_lazy("Requests from parents"), "/team/requests/",
            gettext_lazy("Corrections and copies of records that parents asked for, with their deadlines.")),
    Section(gettext_lazy("How quickly we answer"), "/team/metrics/",
            gettext_lazy("Open requests, overdue requests and the time taken to answer.")),
)
REQUEST_ROLES = (Role.DATA_TEAM, Role.DPO)
#: What practitioners and safeguarding leads start from: their families and what is new about them.
CASELOAD_SECTIONS = (
    Section(gettext_lazy("Your caseload"), "/workspace/caseload/",
            gettext_lazy("The families you work with, and how many new alerts each has.")),
    Section(gettext_lazy("Alerts"), "/workspace/alerts/",
            gettext_lazy("Something new about a family on your caseload: acknowledge each one.")),
    Section(gettext_lazy("Child-protection access"), "/workspace/break-glass/",
            gettext_lazy("Ask a named authoriser for access to protect a child, and see what you asked for.")),
    Section(gettext_lazy("Requests for you to decide"), "/workspace/break-glass/to-decide/",
            gettext_lazy("Child-protection access others asked you to approve or refuse.")),
)
#: The independent reviewer's work: each child-protection override, judged after the event.
REVIEW_SECTIONS = (
    Section(gettext_lazy("Reviews due"), "/workspace/reviews/",
            gettext_lazy("Child-protection overrides waiting for your independent review, soonest due first.")),
)
#: What an auditor checks: the audit log as published, and the public registers.
AUDIT_SECTIONS = (
    Section(gettext_lazy("The audit log"), "/transparency/audit-log",
            gettext_lazy("The signed tree heads, to check that no entry was changed or removed.")),
    Section(gettext_lazy("Algorithm register"), "/registers/algorithms",
            gettext_lazy("Every model, what it uses, and its independent assessments.")),
    Section(gettext_lazy("Contractor register"), "/registers/contractors",
            gettext_lazy("Who processes families' data for the council, and under what terms.")),
)


@public
@staff_page()
def start(request: HttpRequest) -> HttpResponse:
    """Each member of staff sees the sections their role opens."""
    role = staff_role(request)
    sections = {Role.PRACTITIONER: CASELOAD_SECTIONS, Role.SAFEGUARDING_LEAD: CASELOAD_SECTIONS,
                Role.DATA_TEAM: SECTIONS, Role.DPO: SECTIONS, Role.INDEPENDENT_REVIEWER: REVIEW_SECTIONS,
                Role.AUDITOR: AUDIT_SECTIONS}.get(role, ()) if role else ()
    return render(request, "web/team/start.html", {"sections": sections, "role": role})


@public
@require_GET
@staff_page(*REQUEST_ROLES)
def requests(request: HttpRequest) -> HttpResponse:
    """The queue shows references, kinds and deadlines only: no record content, so no door."""
    show_closed = request.GET.get("show") == "all"
    return render(request, "web/team/requests.html", {"rows": rights_requests.queue(include_closed=show_closed),
                                                      "show_closed": show_closed})


@require_http_methods(["GET", "POST"])
@staff_page(*REQUEST_ROLES)
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="reference")
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    actor = signed_in_staff(request)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "assign":
        rights_requests.assign(actor, reference, request.user)
        messages.success(request, _("The request is assigned to you."))
        return redirect("team-request", reference=reference)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        correction = rights_requests.Correction(status=data["status"] or None, note=data["note"] or None)
        try:
            rights_requests.decide(actor, request.user, reference, data["outcome"], data["reason"], correction=correction)
        except InvalidInput as error:
            form.add_error("reason" if error.where == "reason" else None, error.message)
        else:
            messages.success(request, _("Done. The family has been told."))
            return redirect("team-request", reference=reference)
    found, marks = rights_requests.read_request(actor, reference)
    status = 400 if form.errors else 200
    return render(request, "web/team/request.html", {"r": found, "marks": marks, "form": form,
                                                     "clock": rights_requests.clock_of(found)}, status=status)


@public
@require_GET
@staff_page(*REQUEST_ROLES)
def metrics(request: HttpRequest) -> HttpResponse:
    return render(request, "web/team/metrics.html", {"m": rights_requests.metrics()})
