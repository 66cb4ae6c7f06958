"""A tiny OpenID Connect provider on 127.0.0.1, shaped like GOV.UK One Login (or a council's), for tests only.

Serves discovery, JWKS, authorize, token and userinfo from a thread in the
test process (loopback only). The token endpoint insists on
``private_key_jwt`` client authentication checked against the client's
registered public key, and on the PKCE verifier, as One Login does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass
class FakeProvider:
    client_id: str
    client_public_key: Any
    subject: str = "urn:fdc:gov.uk:2022:fake-subject"
    email: str = "parent@example.com"
    signing_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    tamper: str = ""  # "nonce" or "audience": sign a bad ID token on purpose
    issuer: str = ""
    amr: list[str] | None = None  # how the user authenticated (RFC 8176), as a council's provider says

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.signing_key.public_key()))
        jwk.update({"kid": "fake-1", "use": "sig", "alg": "ES256"})
        return {"keys": [jwk]}

    def discovery(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/.well-known/jwks.json",
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Sign the user straight in and send them back with a code (the redirect URL)."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return 401, {"error": "invalid_client"}
        try:
            claims = jwt.decode(form["client_assertion"], self.client_public_key, algorithms=["ES256", "RS256"],
                                audience=self.issuer + "/token")
        except jwt.PyJWTError:
            return 401, {"error": "invalid_client"}
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id or "client_secret" in form:
            return 401, {"error": "invalid_client"}
        request = self.codes.pop(form.get("code", ""), None)
        if request is None or request["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(b"=")
        if challenge.decode() != request.get("code_challenge"):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        id_claims = {"iss": self.issuer, "aud": self.client_id, "sub": self.subject, "iat": now, "exp": now + 120,
                     "nonce": request["nonce"], "vot": "Cl.Cm"}
        if self.amr is not None:
            id_claims["amr"] = self.amr
        if self.tamper == "nonce":
            id_claims["nonce"] = "someone-else"
        if self.tamper == "audience":
            id_claims["aud"] = "another-client"
        access = secrets.token_urlsafe(16)
        self.tokens[access] = self.subject
        id_token = jwt.encode(id_claims, self.signing_key, algorithm="ES256", headers={"kid": "fake-1"})
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 180, "id_token": id_token}

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        subject = self.tokens.get(authorization.removeprefix("Bearer "))
        if subject is None:
            return 401, {"error": "invalid_token"}
        return 200, {"sub": subject, "email": self.email, "email_verified": True}


def serve(provider: FakeProvider) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/.well-known/jwks.json":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                self.send_response(302)
                self.send_header("Location", provider.authorize(query))
                self.end_headers()
            elif url.path == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlparse(self.path).path == "/token":
                self._json(*provider.token(form))
            else:
                self._json(404, {"error": "not_found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def running_provider(tmp_path: Path, settings: Any, setting_name: str, **conf: str) -> Iterator[FakeProvider]:
    """A fake provider serving on 127.0.0.1, and famlink configured to trust it under ``setting_name``.

    ``FAMLINK_OIDC`` is GOV.UK One Login for parents, ``FAMLINK_STAFF_OIDC`` the council's provider for staff.
    """
    from famlink.adapters.identity import provider as oidc

    client_key = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / f"{setting_name}.pem"
    key_file.write_bytes(client_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    fake = FakeProvider(client_id="famlink-test", client_public_key=client_key.public_key())
    server = serve(fake)
    setattr(settings, setting_name, {"ISSUER": fake.issuer, "CLIENT_ID": "famlink-test",
                                     "PRIVATE_KEY_FILE": str(key_file), "KEY_ID": "client-1", **conf})
    oidc._discover.cache_clear()
    oidc._jwks_client.cache_clear()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def round_trip(client: Any, start: str = "/sign-in/one-login/") -> Any:
    """Start at famlink, go to the provider, come back to the callback; the callback's response."""
    import requests

    begun = client.get(start)
    assert begun.status_code == 302
    at_provider = requests.get(begun["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    back = urlparse(at_provider.headers["Location"])
    return client.get(back.path + "?" + back.query)
