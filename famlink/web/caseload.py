"""A practitioner's caseload and alerts: the families they work with, and what is new about them.

Both pages show public ids, the council's own working records (part, contact,
case reference) and alert summaries, which never carry a record's content:
no personal data from the family's records, so ``@public`` like the data
team's request queue. Names and records are shown only once the practitioner
opens a family for a purpose (``/workspace/families/<person_id>/``), through
the policy door.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from famlink.core.policy import Role
from famlink.services.workspace import alerts as alerting
from famlink.services.workspace.caseload import caseload_of
from famlink.web.access import signed_in_staff, staff_page
from famlink.web.marks import public

CASELOAD_ROLES = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(max_length=alerting.NOTE_LIMIT, required=False, strip=True)


@public
@require_GET
@staff_page(*CASELOAD_ROLES)
def caseload(request: HttpRequest) -> HttpResponse:
    actor = signed_in_staff(request)
    return render(request, "web/workspace/caseload.html", {"rows": caseload_of(actor),
                                                           "unread": alerting.unacknowledged(actor)})


@public
@require_GET
@staff_page(*CASELOAD_ROLES)
def alerts(request: HttpRequest) -> HttpResponse:
    return render(request, "web/workspace/alerts.html", {"rows": alerting.alerts_for(signed_in_staff(request))})


@public
@require_POST
@staff_page(*CASELOAD_ROLES)
def acknowledge(request: HttpRequest, alert: int) -> HttpResponse:
    """The alert's id is from the URL: the service answers NotFound for anyone else's."""
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else request.POST.get("note", "")
    alerting.acknowledge(signed_in_staff(request), alert, note)
    messages.success(request, _("Alert acknowledged."))
    return redirect("workspace-alerts")
