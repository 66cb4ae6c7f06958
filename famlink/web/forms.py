"""The small forms behind sign-in and verification (parse only; services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": _("Enter your username")})
    password = forms.CharField(max_length=200, strip=False, error_messages={"required": _("Enter your password")})


class SecondFactorForm(forms.Form):
    code = forms.CharField(max_length=20, error_messages={"required": _("Enter the 6 numbers from your app")})


class VerificationForm(forms.Form):
    code = forms.CharField(max_length=40, error_messages={"required": _("Enter the code from your letter")})
