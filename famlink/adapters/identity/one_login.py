"""GOV.UK One Login as a Django authentication backend, on mozilla-django-oidc.

The library runs the authorization code flow (state, nonce, PKCE); this
backend swaps in ``private_key_jwt`` client authentication, full ID token
checks, and accounts keyed by (issuer, subject) rather than by e-mail, which
One Login does not promise is unique or stable. An account made here is a
parent's account with no Person: it reaches records only through a code from
the council (``accounts.verification``).
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


class OneLoginBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints come from discovery when a sign-in actually happens, so a
        # password sign-in never waits on the provider.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or "code" not in request.GET or not oidc.configured():
            return None
        self.provider = oidc.provider()
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
            return known.account.user
        digest = hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:24]
        user = self.UserModel.objects.create_user(username=f"onelogin-{digest}", email=claims.get("email", ""))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        account = Account.objects.create(user=user, kind=Account.Kind.PARENT)
        ExternalIdentity.objects.create(account=account, issuer=issuer, subject=subject)
        return user
