"""The parent portal's front door: verify once, then a start page pointing to each section.

The sections themselves (records, access log, consent, reports, download)
are separate pages that read through the policy door.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from famlink.adapters.storage.accounts.access import current_person, require_parent
from famlink.adapters.storage.accounts.errors import TooManyAttempts, VerificationRefused
from famlink.adapters.storage.accounts.signin import client_ip
from famlink.services.accounts.verification import redeem
from famlink.web.access import parent_page
from famlink.web.forms import VerificationForm
from famlink.web.marks import public


@dataclass(frozen=True)
class Section:
    title: Promise
    href: str
    summary: Promise


SECTIONS = (
    Section(_("Your family's records"), "/portal/records/", _("See what the council holds about you and your children.")),
    Section(_("Who has looked at your records"), "/portal/access-log/", _("See who looked, when, and why.")),
    Section(_("Your choices (consent)"), "/portal/consent/", _("Say yes or no to your records being linked and shared.")),
    Section(_("How records were matched to you"), "/portal/links/", _("See why records were put together, and say if one is not yours.")),
    Section(_("What computer models said"), "/portal/flags/", _("See if a model picked out your family, and why.")),
    Section(_("Who holds your information"), "/portal/organisations/", _("The services and companies that have records about you.")),
    Section(_("Your requests and messages"), "/portal/requests/", _("Mistakes you reported and what the council did about them.")),
    Section(_("Download everything"), "/portal/download/", _("Get a copy of all your records to keep.")),
)


@public
@parent_page
def start(request: HttpRequest) -> HttpResponse:
    if current_person(request) is None:
        return redirect("portal-verify")
    return render(request, "web/portal/start.html", {"sections": SECTIONS})


@public
@parent_page
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if current_person(request) is not None:
        return redirect("portal")
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            redeem(require_parent(request), form.cleaned_data["code"], ip=client_ip(request))
        except (VerificationRefused, TooManyAttempts) as error:
            status = error.status
            form.add_error("code", error.text)
        else:
            messages.success(request, _("Thank you. You can now see your family's records."))
            return redirect("portal")
    if form.errors and status == 200:
        status = 400
    return render(request, "web/portal/verify.html", {"form": form}, status=status)
