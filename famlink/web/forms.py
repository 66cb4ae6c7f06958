"""The small forms behind sign-in and verification (parse only; services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from famlink.services.workspace.words import PURPOSE_WORDS
from famlink.services.workspace.words import WORKSPACE_PURPOSES as WORKSPACE_PURPOSE_LIST
from famlink.web.words import RECORD_STATUS


class SignInForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": _("Enter your username")})
    password = forms.CharField(max_length=200, strip=False, error_messages={"required": _("Enter your password")})


class SecondFactorForm(forms.Form):
    code = forms.CharField(max_length=20, error_messages={"required": _("Enter the 6 numbers from your app")})


class VerificationForm(forms.Form):
    code = forms.CharField(max_length=40, error_messages={"required": _("Enter the code from your letter")})


class ReportForm(forms.Form):
    """A parent says what is wrong with a record, adds their side, or says it is not theirs."""

    kind = forms.ChoiceField(
        choices=[("request:rectification", _("Something in it is wrong")),
                 ("request:context", _("It is right, but I want to add my side")),
                 ("request:not_me", _("It is not about me or my child"))],
        widget=forms.RadioSelect, error_messages={"required": _("Choose what you want to tell us"),
                                                  "invalid_choice": _("Choose what you want to tell us")})
    statement = forms.CharField(max_length=4000, widget=forms.Textarea, error_messages={
        "required": _("Tell us what is wrong, or what you want to add"),
        "max_length": _("Use 4,000 characters or fewer")})


class DecisionForm(forms.Form):
    """The data team's outcome for a request."""

    outcome = forms.ChoiceField(
        choices=[("outcome:correct", _("Correct the record")),
                 ("outcome:annotate", _("Keep the record and add the family's statement")),
                 ("outcome:unlink", _("Unlink: it is not the same person")),
                 ("outcome:decline", _("Decline, with a reason"))],
        widget=forms.RadioSelect, error_messages={"required": _("Choose an outcome")})
    status = forms.ChoiceField(required=False, choices=[("", _("Leave as it is"))] + [
        (status.value, label) for status, label in RECORD_STATUS.items()])
    note = forms.CharField(max_length=4000, required=False, widget=forms.Textarea)
    reason = forms.CharField(max_length=4000, required=False, widget=forms.Textarea)


# -- the practitioner workspace (English: staff pages) ------------------------------------------

#: The purposes a practitioner can state (the door still decides).
WORKSPACE_PURPOSES = [(p.value, PURPOSE_WORDS[p]) for p in WORKSPACE_PURPOSE_LIST]
_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"]


class SearchForm(forms.Form):
    """Purpose first, then what the practitioner knows about the person (the service checks each field)."""

    purpose = forms.ChoiceField(choices=WORKSPACE_PURPOSES, error_messages={
        "required": "Choose the purpose you are working for", "invalid_choice": "Choose the purpose you are working for"})
    name = forms.CharField(max_length=200, required=False)
    date_of_birth = forms.DateField(required=False, input_formats=_DATE_FORMATS, error_messages={
        "invalid": "Enter a date of birth like 27/3/2016"})
    # lengths are loose here: the service checks each field and says what a good one looks like
    postcode = forms.CharField(max_length=40, required=False)
    nhs_number = forms.CharField(max_length=40, required=False)
    upn = forms.CharField(max_length=40, required=False)

    def has_terms(self) -> bool:
        return any(self.data.get(f) for f in ("name", "date_of_birth", "postcode", "nhs_number", "upn"))


class OpenFamilyForm(forms.Form):
    purpose = forms.ChoiceField(choices=WORKSPACE_PURPOSES, widget=forms.RadioSelect, error_messages={
        "required": "Choose the purpose you are working for", "invalid_choice": "Choose the purpose you are working for"})
    case_reference = forms.CharField(max_length=60, error_messages={
        "required": "Enter the case reference you are working under",
        "max_length": "A case reference is at most 60 characters"})
    break_glass = forms.IntegerField(required=False, min_value=1, error_messages={
        "invalid": "A break-glass is named by its number", "min_value": "A break-glass is named by its number"})


class ChronologyFilterForm(forms.Form):
    person = forms.CharField(max_length=20, required=False)
    agency = forms.CharField(max_length=200, required=False)
    date_from = forms.DateField(required=False, input_formats=_DATE_FORMATS, error_messages={
        "invalid": "Enter the start of the period like 1/1/2024"})
    date_to = forms.DateField(required=False, input_formats=_DATE_FORMATS, error_messages={
        "invalid": "Enter the end of the period like 31/12/2024"})
