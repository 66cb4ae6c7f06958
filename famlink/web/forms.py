"""The small forms behind sign-in and verification (parse only; services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
