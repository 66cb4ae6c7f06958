"""GOV.UK One Login (OpenID Connect, private_key_jwt) against a fake provider on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from famlink.adapters.storage.accounts.models import Account, ExternalIdentity
from tests.web.checking_client import CheckingClient
from tests.web.fake_oidc import FakeProvider, round_trip, running_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_login(tmp_path: Path, settings) -> Iterator[FakeProvider]:
    with running_provider(tmp_path, settings, "FAMLINK_OIDC", VTR='["Cl.Cm"]') as fake:
        yield fake


def test_the_sign_in_page_offers_one_login_when_configured(client: CheckingClient, one_login: FakeProvider) -> None:
    page = client.get("/sign-in/").page
    assert page.find(".//a[@href='/sign-in/one-login/']") is not None


def test_the_authorization_request_is_what_one_login_expects(client: CheckingClient, one_login: FakeProvider) -> None:
    location = urlparse(client.get("/sign-in/one-login/")["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/authorize"
    assert query["response_type"] == "code" and query["client_id"] == "famlink-test"
    assert query["scope"] == "openid email" and query["vtr"] == '["Cl.Cm"]' and query["ui_locales"] == "en"
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert query["redirect_uri"] == "http://testserver/sign-in/one-login/callback/"


def test_a_parent_signs_in_with_one_login_and_must_still_verify(client: CheckingClient, one_login: FakeProvider) -> None:
    response = round_trip(client)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/")["Location"] == "/portal/verify/"
    identity = ExternalIdentity.objects.get()
    assert identity.issuer == one_login.issuer and identity.subject == one_login.subject
    assert identity.account.kind == Account.Kind.PARENT and identity.account.person is None
    assert not identity.account.user.has_usable_password()
    sent = one_login.token_requests[-1]
    assert "client_secret" not in sent and sent["client_assertion"] and sent["code_verifier"]
    # Signing in again finds the same account by (issuer, subject), not by e-mail.
    client.post("/sign-out/")
    round_trip(client)
    assert ExternalIdentity.objects.count() == 1 and Account.objects.count() == 1


@pytest.mark.parametrize("tamper", ["nonce", "audience"])
def test_an_id_token_that_fails_a_check_signs_nobody_in(client: CheckingClient, one_login: FakeProvider, tamper: str) -> None:
    one_login.tamper = tamper
    response = round_trip(client)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not Account.objects.exists()


def test_a_replayed_callback_is_refused(client: CheckingClient, one_login: FakeProvider) -> None:
    start = client.get("/sign-in/one-login/")
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(back.path + "?" + back.query)["Location"] == "/portal/"
    client.post("/sign-out/")
    assert client.get(back.path + "?" + back.query)["Location"] == "/sign-in/?failed=one-login"


def test_without_configuration_one_login_says_so(client: CheckingClient, settings) -> None:
    settings.FAMLINK_OIDC = {"ISSUER": ""}
    assert client.get("/sign-in/one-login/").status_code == 503
    assert client.get("/sign-in/").page.find(".//a[@href='/sign-in/one-login/']") is None
