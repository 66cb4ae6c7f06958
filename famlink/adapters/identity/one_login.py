"""GOV.UK One Login and the council's staff sign-in as Django authentication backends, on mozilla-django-oidc.

The library runs the authorization code flow (state, nonce, PKCE); these
backends swap in ``private_key_jwt`` client authentication, full ID token
checks, and accounts keyed by (issuer, subject) rather than by e-mail, which
a provider does not promise is unique or stable.

``OneLoginBackend`` (parents): an account made here is a parent's account
with no Person; it reaches records only through a code from the council
(``accounts.verification``). ``CouncilBackend`` (staff) makes no account:
it answers only for a subject the data team linked to a staff account
(``famlink accounts link-identity``), and leaves on the request whether the
council's provider asked for a second factor itself (the ID token's ``amr``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from famlink.adapters.identity import provider as oidc
from famlink.adapters.storage.accounts.models import Account, ExternalIdentity

#: Set on the request by ``CouncilBackend``: True when the council's provider asked for a second factor.
SECOND_FACTOR_DONE = "famlink_council_second_factor"
CALLBACKS = {oidc.Audience.PARENT: "one-login-callback", oidc.Audience.STAFF: "council-callback"}


class OneLoginBackend(OIDCAuthenticationBackend):
    audience = oidc.Audience.PARENT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints come from discovery when a sign-in actually happens, so a
        # password sign-in never waits on the provider.
        self.UserModel = get_user_model()

    def get_settings(self, attr: str, *args: Any) -> Any:  # type: ignore[override]
        if attr == "OIDC_AUTHENTICATION_CALLBACK_URL":  # the token request's redirect_uri: this provider's own
            return CALLBACKS[self.audience]
        return super().get_settings(attr, *args)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        """Only on this provider's own callback: each provider's codes go to it alone."""
        if request is None or "code" not in request.GET or not oidc.configured(self.audience):
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != CALLBACKS[self.audience]:
            return None
        self.provider = oidc.provider(self.audience)
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_uri
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        self.OIDC_RP_CLIENT_SECRET = None
        self.OIDC_RP_SIGN_ALGO = "ES256"
        return super().authenticate(request, **kwargs)

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        payload = {k: v for k, v in payload.items() if k != "client_secret"}
        payload["client_assertion_type"] = oidc.ASSERTION_TYPE
        payload["client_assertion"] = oidc.client_assertion(self.provider)
        response = requests.post(self.OIDC_OP_TOKEN_ENDPOINT, data=payload, timeout=oidc.TIMEOUT)
        self.raise_token_response_error(response)
        return response.json()  # type: ignore[no-any-return]

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        return oidc.verify_id_token(self.provider, token, nonce=kwargs.get("nonce"))

    @transaction.atomic
    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about someone other than the ID token")
        issuer, subject = self.provider.issuer, str(payload["sub"])
        known = ExternalIdentity.objects.select_related("account__user").filter(issuer=issuer, subject=subject).first()
        if known is not None:
            if known.account.kind != Account.Kind.PARENT:  # a staff account never skips its second factor this way
                raise SuspiciousOperation("a parents' sign-in names a staff account")
            return known.account.user
        digest = hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:24]
        user = self.UserModel.objects.create_user(username=f"onelogin-{digest}", email=claims.get("email", ""))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        account = Account.objects.create(user=user, kind=Account.Kind.PARENT)
        ExternalIdentity.objects.create(account=account, issuer=issuer, subject=subject)
        return user


class CouncilBackend(OneLoginBackend):
    """Staff through the council's provider: only a subject the data team linked, only to a staff account."""

    audience = oidc.Audience.STAFF

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        issuer, subject = self.provider.issuer, str(payload["sub"])
        known = (ExternalIdentity.objects.select_related("account__user")
                 .filter(issuer=issuer, subject=subject, account__kind=Account.Kind.STAFF).first())
        if known is None:
            raise SuspiciousOperation("a council sign-in that no staff account is linked to")
        setattr(self.request, SECOND_FACTOR_DONE, self.provider.second_factor_done(payload))
        return known.account.user
