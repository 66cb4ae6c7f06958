"""Information-sharing decisions about one person: the list, and recording a new one.

Both pages are family pages (``@opened_family``): they read through the
policy door for the purpose the practitioner stated when they opened the
family, never one from the URL; recording a decision opens the door again,
in the decision's own transaction, and its entry says ``sharing:decided``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from famlink.core.audit import AuditEvent
from famlink.core.digits import whole_number
from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.core.taxonomy import DataCategory, LawfulBasis
from famlink.services.workspace import sharing
from famlink.services.workspace.opening import Opening
from famlink.web.access import opened_family, signed_in_staff, staff_page
from famlink.web.marks import personal_data

DECIDERS = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)
BASIS_WORDS = {
    LawfulBasis.CONSENT: "Consent", LawfulBasis.CONTRACT: "Contract",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation (for example, the Children Act 1989)",
    LawfulBasis.VITAL_INTERESTS: "Vital interests (to protect someone's life)",
    LawfulBasis.PUBLIC_TASK: "Public task (the council's statutory functions)",
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests",
}


class SharingForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("share", "Share"), ("not_share", "Do not share")], widget=forms.RadioSelect,
                                error_messages={"required": "Choose share or do not share"})
    recipient = forms.CharField(max_length=200, error_messages={"required": "Say who it is shared with, or asked for by"})
    recipient_organisation = forms.CharField(max_length=200, required=False)
    information = forms.CharField(max_length=4000, widget=forms.Textarea,
                                  error_messages={"required": "Say what information this is about"})
    categories = forms.MultipleChoiceField(choices=[(c.value, c.value.replace("_", " ")) for c in DataCategory],
                                           widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": "Choose the kinds of information"})
    reasons = forms.CharField(max_length=4000, widget=forms.Textarea, error_messages={"required": "Say why"})
    lawful_basis = forms.ChoiceField(choices=[(b.value, w) for b, w in BASIS_WORDS.items()],
                                     error_messages={"required": "Choose the lawful basis"})
    golden_rules = forms.MultipleChoiceField(choices=list(sharing.GOLDEN_RULES.items()), required=False,
                                             widget=forms.CheckboxSelectMultiple)
    parent_told = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect,
                                    error_messages={"required": "Say whether the parent was told"})
    not_told_because = forms.CharField(max_length=4000, required=False, widget=forms.Textarea)
    case_reference = forms.CharField(max_length=60, required=False)
    break_glass = forms.CharField(max_length=20, required=False)


def _opening(request: HttpRequest) -> Opening:
    opening: Opening = request.famlink_opening  # type: ignore[attr-defined]
    return opening


def _purpose(request: HttpRequest) -> str:
    return _opening(request).purpose.value


@require_GET
@staff_page(*DECIDERS)
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
@opened_family
def decisions(request: HttpRequest, person_id: str) -> HttpResponse:
    found = sharing.decisions_for(signed_in_staff(request), person_id, _purpose(request))
    return render(request, "web/workspace/sharing/list.html", {"found": found, "rules": sharing.GOLDEN_RULES})


@require_http_methods(["GET", "POST"])
@staff_page(*DECIDERS)
@personal_data(action=AuditEvent.RECORD_VIEWED, subject_kwarg="person_id")
@opened_family
def new(request: HttpRequest, person_id: str) -> HttpResponse:
    actor = signed_in_staff(request)
    opening = _opening(request)
    form = SharingForm(request.POST or None, initial={
        "case_reference": opening.case_reference, "break_glass": opening.break_glass or ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            glass = whole_number(data["break_glass"], where="break_glass", what="the number of an authorisation") \
                if data["break_glass"] else None
            sharing.record_sharing_decision(actor, person_id, sharing.SharingDecisionInput(
                verdict=data["verdict"], purpose=_purpose(request), recipient=data["recipient"],
                recipient_organisation=data["recipient_organisation"], information=data["information"],
                categories=frozenset(data["categories"]), reasons=data["reasons"], lawful_basis=data["lawful_basis"],
                golden_rules=frozenset(data["golden_rules"]), parent_told=data["parent_told"] == "yes",
                not_told_because=data["not_told_because"], case_reference=data["case_reference"], break_glass=glass))
        except InvalidInput as error:
            form.add_error(error.where if error.where in form.fields else None, error.message)
        else:
            messages.success(request, "The decision is recorded.")
            return redirect("sharing", person_id=person_id)
    found = sharing.decisions_for(actor, person_id, _purpose(request))
    return render(request, "web/workspace/sharing/new.html",
                  {"found": found, "form": form, "organisations": sharing.organisations()},
                  status=400 if form.errors else 200)
