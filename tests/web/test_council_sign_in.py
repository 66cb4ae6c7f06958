"""Staff sign in through the council's OpenID Connect provider (a fake one on 127.0.0.1).

Only a subject the data team linked reaches a staff account; the provider's
own multi-factor sign-in counts as the second factor only if its ID token's
``amr`` says so, otherwise famlink asks for the authenticator code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from famlink.adapters.storage.accounts.models import Account, ExternalIdentity
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.services.accounts.provisioning import create_parent, create_staff, link_identity
from tests.web.checking_client import CheckingClient
from tests.web.fake_oidc import FakeProvider, round_trip, running_provider

pytestmark = pytest.mark.django_db
START = "/sign-in/council/"


@pytest.fixture
def council(tmp_path: Path, settings) -> Iterator[FakeProvider]:
    with running_provider(tmp_path, settings, "FAMLINK_STAFF_OIDC", MFA_AMR="mfa") as fake:
        fake.subject = "council-staff-0042"
        yield fake


def linked_staff(council: FakeProvider, *, totp: bool = True) -> Account:
    create_staff("sw.jo", job="data_team", identity=(council.issuer, council.subject))
    account = Account.objects.get(user__username="sw.jo")
    if totp:
        account.totp_secret = pyotp.random_base32()
        account.totp_confirmed_at = account.created_at
        account.save()
    return account


def signed_in(client: CheckingClient) -> bool:
    return "_auth_user_id" in client.session and bool(client.session.get(SECOND_FACTOR_KEY))


def test_the_sign_in_page_offers_the_council_account_when_configured(client: CheckingClient, council: FakeProvider) -> None:
    assert client.get("/sign-in/").page.find(f".//a[@href='{START}']") is not None
    location = urlparse(client.get(START)["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["redirect_uri"] == "http://testserver/sign-in/council/callback/" and "vtr" not in query
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]


def test_the_councils_own_second_factor_signs_staff_straight_in(client: CheckingClient, council: FakeProvider) -> None:
    linked_staff(council)
    council.amr = ["pwd", "mfa"]
    response = round_trip(client, START)
    assert response.status_code == 302 and response["Location"] == "/team/"
    assert signed_in(client)
    assert client.get("/team/").status_code == 200
    assert "client_secret" not in council.token_requests[-1]


@pytest.mark.parametrize("amr", [None, ["pwd"], ["pwd", "otp"], "mfa-ish"])
def test_without_mfa_in_the_id_token_famlink_asks_for_its_own_code(client: CheckingClient, council: FakeProvider,
                                                                   amr: object) -> None:
    account = linked_staff(council)
    council.amr = amr  # type: ignore[assignment]
    response = round_trip(client, START)
    assert response["Location"] == "/sign-in/security-code/"
    assert not signed_in(client)
    assert client.get("/team/").status_code == 302  # held: nothing opens yet
    done = client.post("/sign-in/security-code/", {"code": pyotp.TOTP(account.totp_secret).now()})
    assert done["Location"] == "/team/" and signed_in(client)


def test_staff_without_an_authenticator_set_it_up_first(client: CheckingClient, council: FakeProvider) -> None:
    linked_staff(council, totp=False)
    assert round_trip(client, START)["Location"] == "/sign-in/set-up-security-code/"
    assert not signed_in(client)


def test_a_council_sign_in_nobody_linked_opens_nothing(client: CheckingClient, council: FakeProvider) -> None:
    create_staff("someone", job="dpo")  # an account exists, but not linked to this subject
    council.amr = ["mfa"]
    response = round_trip(client, START)
    assert response["Location"] == "/sign-in/?failed=council"
    assert "_auth_user_id" not in client.session
    assert ExternalIdentity.objects.count() == 0 and Account.objects.count() == 1  # nothing made on the fly
    page = client.get(response["Location"]).page
    assert "ask the data team" in "".join(page.itertext())


def test_a_parents_account_is_never_reached_through_the_council(client: CheckingClient, council: FakeProvider) -> None:
    create_parent("pat", None, password="not-a-real-password-1")
    account = Account.objects.get(user__username="pat")
    ExternalIdentity.objects.create(account=account, issuer=council.issuer, subject=council.subject)
    council.amr = ["mfa"]
    assert round_trip(client, START)["Location"] == "/sign-in/?failed=council"
    assert "_auth_user_id" not in client.session


def test_linking_afterwards_lets_them_in(client: CheckingClient, council: FakeProvider) -> None:
    create_staff("late", job="auditor")
    link_identity("late", council.issuer, council.subject)
    council.amr = ["mfa"]
    assert round_trip(client, START)["Location"] == "/team/"


@pytest.mark.parametrize("tamper", ["nonce", "audience"])
def test_an_id_token_that_fails_a_check_signs_no_staff_in(client: CheckingClient, council: FakeProvider,
                                                          tamper: str) -> None:
    linked_staff(council)
    council.amr, council.tamper = ["mfa"], tamper
    response = round_trip(client, START)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_without_configuration_the_council_sign_in_says_so(client: CheckingClient, settings) -> None:
    settings.FAMLINK_STAFF_OIDC = {"ISSUER": ""}
    assert client.get(START).status_code == 503
    assert client.get("/sign-in/").page.find(f".//a[@href='{START}']") is None
