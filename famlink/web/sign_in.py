"""Sign in, the staff second factor, and sign out. Each view: parse, call one service, render.

Refusals are ``FamlinkError``s; on these form pages their text is shown in
the GOV.UK error summary beside the form (the Design System's pattern)
instead of on an error page, word for word.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from famlink.adapters.identity.provider import Audience
from famlink.adapters.identity.provider import configured as provider_configured
from famlink.adapters.storage.accounts import second_factor, signin
from famlink.adapters.storage.accounts.errors import SignInRefused
from famlink.web.forms import SecondFactorForm, SignInForm
from famlink.web.language import safe_next
from famlink.web.marks import public

NEXT_KEY = "famlink.next"
NEW_SECRET_KEY = "famlink.new_totp_secret"
STEPS = {"second_factor": "second-factor", "set_up_second_factor": "set-up-second-factor"}


def _status(form: SignInForm | SecondFactorForm, refused: SignInRefused | None) -> int:
    if refused is not None:
        return refused.status
    return 400 if form.errors else 200


@public
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            account = signin.check_password(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except SignInRefused as error:
            refused = error
            form.add_error(None, error.text)
        else:
            step = signin.begin(request, account)
            if step == "done":
                return redirect(safe_next(request, "/portal/"))
            request.session[NEXT_KEY] = safe_next(request, "/team/")
            return redirect(STEPS[step])
    context = {"form": form, "next": safe_next(request, ""), "one_login": provider_configured(Audience.PARENT),
               "council": provider_configured(Audience.STAFF), "signed_out": "signed-out" in request.GET,
               "one_login_failed": request.GET.get("failed") == "one-login",
               "council_failed": request.GET.get("failed") == "council"}
    return render(request, "web/sign_in/sign_in.html", context, status=_status(form, refused))


@public
@require_http_methods(["GET", "POST"])
def enter_second_factor(request: HttpRequest) -> HttpResponse:
    account = signin.pending_account(request)
    if not account.totp_confirmed_at:
        return redirect("set-up-second-factor")
    form = SecondFactorForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.verify(request, account, form.cleaned_data["code"])
        except SignInRefused as error:
            refused = error
            form.add_error("code", error.text)
        else:
            target = request.session.get(NEXT_KEY, "/team/")
            signin.finish(request, account)
            return redirect(target)
    return render(request, "web/sign_in/second_factor.html", {"form": form}, status=_status(form, refused))


@public
@require_http_methods(["GET", "POST"])
def set_up_second_factor(request: HttpRequest) -> HttpResponse:
    account = signin.pending_account(request)
    if account.totp_confirmed_at:  # never let a password alone replace an existing second factor
        return redirect("second-factor")
    secret = request.session.setdefault(NEW_SECRET_KEY, second_factor.new_secret())
    form = SecondFactorForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.confirm_setup(request, account, secret, form.cleaned_data["code"])
        except SignInRefused as error:
            refused = error
            form.add_error("code", error.text)
        else:
            request.session.pop(NEW_SECRET_KEY, None)
            target = request.session.get(NEXT_KEY, "/team/")
            signin.finish(request, account)
            return redirect(target)
    context = {"form": form, "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
               "setup_uri": second_factor.setup_uri(account, secret)}
    return render(request, "web/sign_in/set_up_second_factor.html", context, status=_status(form, refused))


@public
@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """GET asks, POST (with its CSRF token) signs out, so a link on another site cannot."""
    if request.method == "POST":
        logout(request)
        return redirect("/sign-in/?signed-out=1")
    return render(request, "web/sign_in/sign_out.html")
