"""The data team's front door (staff only, after their second factor)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from famlink.adapters.storage.accounts.access import staff_role
from famlink.adapters.storage.governance.routes import public
from famlink.web.access import staff_page
from famlink.web.portal import Section

SECTIONS = (
    Section(_("Requests from parents"), "/team/requests/", _("Corrections and copies of records that parents asked for, with their deadlines.")),
    Section(_("How quickly we answer"), "/team/metrics/", _("Open requests, overdue requests and the time taken to answer.")),
)


@public
@staff_page()
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "web/team/start.html", {"sections": SECTIONS, "role": staff_role(request)})
