"""The OpenID Connect providers famlink trusts: found by discovery, talked to with a signed key.

Two may be configured: GOV.UK One Login for parents (``FAMLINK_OIDC_*``) and
the council's own provider for staff (``FAMLINK_STAFF_OIDC_*``). Each is a
``Provider`` of its ``Audience``; everything below is the same for both.

GOV.UK One Login does not use client secrets: the client proves itself with
``private_key_jwt`` (RFC 7523), a short JWT signed with a private key whose
public half was registered with One Login. The ID token is checked here in
full (signature from the provider's JWKS, issuer, audience, expiry, nonce),
not only its signature.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings

from famlink.core.errors import FamlinkError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ID_TOKEN_ALGORITHMS = ["ES256", "RS256"]
TIMEOUT = 10


class ProviderUnavailable(FamlinkError):
    status = 503


class UntrustedAnswer(FamlinkError):
    """An ID token that fails a check: refuse the sign-in, never guess."""

    status = 400


class Audience(StrEnum):
    """Who signs in through a provider: each has its own settings and its own words."""

    PARENT = "parent"
    STAFF = "staff"


SETTINGS_NAME = {Audience.PARENT: "FAMLINK_OIDC", Audience.STAFF: "FAMLINK_STAFF_OIDC"}
PROVIDER_NAME = {Audience.PARENT: "GOV.UK One Login", Audience.STAFF: "your council account"}
#: ``amr`` values (RFC 8176) that say the provider itself asked for more than one factor.
DEFAULT_MFA_METHODS = "mfa"


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    private_key_pem: bytes
    key_id: str
    vtr: str
    audience: Audience = Audience.PARENT
    mfa_methods: frozenset[str] = field(default_factory=frozenset)

    def second_factor_done(self, claims: dict[str, Any]) -> bool:
        """Did the provider itself ask for a second factor? Only if the ID token's ``amr`` says so."""
        amr = claims.get("amr")
        methods = {amr} if isinstance(amr, str) else set(amr) if isinstance(amr, list) else set()
        return bool({m for m in methods if isinstance(m, str)} & self.mfa_methods)


def configured(audience: Audience = Audience.PARENT) -> bool:
    return bool(_settings(audience).get("ISSUER"))


def _settings(audience: Audience) -> dict[str, str]:
    return dict(getattr(settings, SETTINGS_NAME[audience], {}))


@lru_cache(maxsize=8)
def _discover(issuer: str, audience: Audience = Audience.PARENT) -> dict[str, Any]:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"Signing in with {PROVIDER_NAME[audience]} is not working at the moment. "
                                  "Try again later.") from error
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable("The sign-in provider did not identify itself correctly.")
    return document


def provider(audience: Audience = Audience.PARENT) -> Provider:
    """The configured provider, or ``ProviderUnavailable`` (a 503 page) if there is none."""
    conf = _settings(audience)
    if not conf.get("ISSUER"):
        raise ProviderUnavailable(f"Signing in with {PROVIDER_NAME[audience]} is not set up here. "
                                  "Use your username and password.")
    document = _discover(conf["ISSUER"], audience)
    key_pem = Path(conf["PRIVATE_KEY_FILE"]).read_bytes()
    return Provider(
        issuer=document["issuer"],
        client_id=conf["CLIENT_ID"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        userinfo_endpoint=document["userinfo_endpoint"],
        jwks_uri=document["jwks_uri"],
        private_key_pem=key_pem,
        key_id=conf.get("KEY_ID", ""),
        vtr=conf.get("VTR", '["Cl.Cm"]'),
        audience=audience,
        mfa_methods=frozenset((conf.get("MFA_AMR") or DEFAULT_MFA_METHODS).split()),
    )


def client_assertion(p: Provider) -> str:
    """A one-use JWT proving this client to the token endpoint (RFC 7523 section 2.2)."""
    key = load_pem_private_key(p.private_key_pem, password=None)
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    now = int(time.time())
    claims = {"iss": p.client_id, "sub": p.client_id, "aud": p.token_endpoint, "jti": str(uuid.uuid4()),
              "iat": now, "exp": now + 300}
    headers = {"kid": p.key_id} if p.key_id else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _jwks_client(jwks_uri: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=TIMEOUT)


def verify_id_token(p: Provider, token: str, *, nonce: str | None) -> dict[str, Any]:
    """The ID token's claims, after checking signature, issuer, audience, expiry and nonce."""
    try:
        signing_key = _jwks_client(p.jwks_uri).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, signing_key.key, algorithms=ID_TOKEN_ALGORITHMS, audience=p.client_id, issuer=p.issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]}, leeway=30,
        )
    except jwt.PyJWTError as error:
        raise UntrustedAnswer("The sign-in provider's answer could not be trusted. Try again.") from error
    if nonce is not None and claims.get("nonce") != nonce:
        raise UntrustedAnswer("The sign-in provider's answer did not match this sign-in. Try again.")
    return claims
