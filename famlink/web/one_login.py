"""Start an OpenID Connect sign-in: GOV.UK One Login for parents, the council's own provider for staff.

The callbacks are mozilla-django-oidc's own view; the staff one does not sign
in straight away unless the council's provider asked for a second factor
itself (its ID token's ``amr``): otherwise the member of staff is held, as
after a password, until they enter a code from their authenticator app.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from famlink.adapters.identity.one_login import CALLBACKS, SECOND_FACTOR_DONE
from famlink.adapters.identity.provider import Audience, provider
from famlink.adapters.storage.accounts import signin
from famlink.web.marks import public
from famlink.web.sign_in import NEXT_KEY, STEPS


@public
class OneLoginStart(OIDCAuthenticationRequestView):
    audience = Audience.PARENT

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # endpoints come from discovery in get(), not from settings

    def get_settings(self, attr: str, *args: Any) -> Any:  # type: ignore[override]
        if attr == "OIDC_AUTHENTICATION_CALLBACK_URL":
            return CALLBACKS[self.audience]
        return super().get_settings(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        self.provider = provider(self.audience)
        self.OIDC_OP_AUTH_ENDPOINT = self.provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        return super().get(request)  # type: ignore[no-any-return]

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        """One Login's vector of trust, and its pages in the language the parent chose here."""
        return {"vtr": self.provider.vtr, "ui_locales": "cy" if get_language() == "cy" else "en"}


@public
class OneLoginCallback(OIDCAuthenticationCallbackView):
    """mozilla-django-oidc checks state, nonce and PKCE; our backend does the rest."""


@public
class CouncilStart(OneLoginStart):
    """Staff: the council's provider (``FAMLINK_STAFF_OIDC_*``)."""

    audience = Audience.STAFF

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        return {}


@public
class CouncilCallback(OIDCAuthenticationCallbackView):
    """State, nonce and PKCE as for parents; then signed in, or held for a code, as the ID token's ``amr`` says."""

    @property
    def failure_url(self) -> str:
        return "/sign-in/?failed=council"

    def login_success(self) -> HttpResponse:
        account = self.user.famlink_account
        target = self.request.session.pop("oidc_login_next", None) or "/team/"
        if getattr(self.request, SECOND_FACTOR_DONE, False):
            signin.finish(self.request, account)
            return HttpResponseRedirect(target)
        step = signin.begin(self.request, account)
        self.request.session[NEXT_KEY] = target
        return redirect(STEPS[step])
