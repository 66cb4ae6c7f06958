"""A parent reports a mistake, adds their side, or says a record is not theirs; then follows it.

Thin views: the form parses, ``rights_requests.report`` decides and audits, the
templates render. A record id in the URL is only used if the door showed
that record to this family.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.services.rights import requests as rights_requests
from famlink.services.rights.disclosure import Part, disclose
from famlink.web.access import family_page, signed_in_parent
from famlink.web.forms import ReportForm
from famlink.web.marks import personal_data

KIND_FROM_QUERY = {"wrong": "request:rectification", "context": "request:context", "not_me": "request:not_me"}


@require_http_methods(["GET", "POST"])
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def report(request: HttpRequest, public_id: str, record_id: int) -> HttpResponse:
    actor, me = signed_in_parent(request)
    family = disclose(actor, me, frozenset({Part.RECORDS}))
    person, record = family.record(public_id, str(record_id))
    initial = {"kind": KIND_FROM_QUERY.get(request.GET.get("kind", ""))}
    form = ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            made = rights_requests.report(actor, request.user, person.public_id, record.id, form.cleaned_data["kind"],
                                   form.cleaned_data["statement"])
        except InvalidInput as error:
            form.add_error("statement" if error.where == "statement" else None, error.message)
        else:
            messages.success(request, _("We have your request. Its reference is %(ref)s.") % {"ref": made.reference})
            return redirect("portal-request", reference=made.reference)
    status = 400 if form.errors else 200
    return render(request, "web/portal/report.html", {"form": form, "person": person, "record": record}, status=status)


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def requests(request: HttpRequest) -> HttpResponse:
    actor, me = signed_in_parent(request)
    family = disclose(actor, me, frozenset())  # the door decides who is in the family; nothing more is read
    return render(request, "web/portal/requests.html", {"requests": rights_requests.requests_for(request.user),
                                                         "family": family})


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="reference")
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    actor, me = signed_in_parent(request)
    found = rights_requests.request_for_parent(request.user, reference)
    family = disclose(actor, me, frozenset())
    return render(request, "web/portal/request.html", {"request_": found, "family": family,
                                                        "ico": rights_requests.ICO_ROUTE})


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def messages_page(request: HttpRequest) -> HttpResponse:
    actor, me = signed_in_parent(request)
    disclose(actor, me, frozenset())  # messages speak of records: the door is asked first
    found = rights_requests.messages_for(request.user)
    rights_requests.mark_read(request.user)
    return render(request, "web/portal/messages.html", {"inbox": found})
