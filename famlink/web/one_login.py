"""Start a GOV.UK One Login sign-in (the callback is mozilla-django-oidc's own view)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from famlink.adapters.identity.provider import provider
from famlink.web.marks import public


@public
class OneLoginStart(OIDCAuthenticationRequestView):
    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # endpoints come from discovery in get(), not from settings

    def get(self, request: HttpRequest) -> HttpResponse:
        self.provider = provider()
        self.OIDC_OP_AUTH_ENDPOINT = self.provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        return super().get(request)  # type: ignore[no-any-return]

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        """One Login's vector of trust, and its pages in the language the parent chose here."""
        return {"vtr": self.provider.vtr, "ui_locales": "cy" if get_language() == "cy" else "en"}


@public
class OneLoginCallback(OIDCAuthenticationCallbackView):
    """mozilla-django-oidc checks state, nonce and PKCE; our backend does the rest."""
