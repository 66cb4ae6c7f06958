"""Signing in: passwords, lock-out, staff security codes, CSRF, sessions, and who may open what."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from famlink.adapters.storage.accounts import signin
from famlink.adapters.storage.accounts.lockout import limits
from famlink.adapters.storage.accounts.models import AccessAttempt, Account
from tests.common.concurrency import at_once
from tests.web.checking_client import CheckingClient
from tests.web.conftest import PASSWORD, sign_in_as

pytestmark = pytest.mark.django_db


def post_sign_in(client: CheckingClient, username: str, password: str, **extra: str):
    return client.post("/sign-in/", {"username": username, "password": password}, **extra)


def test_parent_signs_in_and_is_asked_to_verify(client: CheckingClient, unverified_parent: Account) -> None:
    response = post_sign_in(client, "robin", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    response = client.get("/portal/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/verify/"
    assert response.page.find(".//h1").text.strip() == "Verify your identity"


def test_verified_parent_reaches_the_start_page(client: CheckingClient, parent: Account) -> None:
    post_sign_in(client, "alex", PASSWORD)
    page = client.get("/portal/").page
    links = {a.text.strip() for a in page.iter("a") if a.get("href", "").startswith("/portal/")}
    assert {"Your family's records", "Who has looked at your records", "Your choices (consent)",
            "Your requests and messages", "Download everything"} <= links


def test_wrong_password_is_refused_with_the_same_words_for_unknown_users(client: CheckingClient, parent: Account) -> None:
    wrong = post_sign_in(client, "alex", "not the password")
    unknown = post_sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.page.find(".//*[@class='govuk-error-summary']") is not None
    summary = lambda r: "".join(r.page.find(".//*[@class='govuk-error-summary']").itertext())  # noqa: E731
    assert summary(wrong) == summary(unknown)
    assert wrong.page.find(".//title").text.startswith("Error: Sign in")


def test_lock_out_after_too_many_wrong_passwords(client: CheckingClient, parent: Account) -> None:
    for _ in range(limits().per_username):
        assert post_sign_in(client, "alex", "wrong password!").status_code == 400
    locked = post_sign_in(client, "alex", PASSWORD)
    assert locked.status_code == 429
    assert "too many tries" in "".join(locked.page.itertext())
    assert "_auth_user_id" not in client.session
    # The lock-out is a window: once it has passed, the right password works again.
    AccessAttempt.objects.update(at=timezone.now() - limits().window - timedelta(seconds=1))
    assert post_sign_in(client, "alex", PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_are_checked_no_more_often_than_the_limit(
    parent: Account, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """12 wrong passwords at once against a limit of 5: exactly 5 are checked, each on its own connection."""
    checked: list[str] = []
    guard = threading.Lock()
    real_authenticate = signin.authenticate

    def counting(*args: object, **kwargs: object) -> object:
        with guard:
            checked.append(str(kwargs.get("username")))
        return real_authenticate(*args, **kwargs)

    monkeypatch.setattr(signin, "authenticate", counting)
    statuses: list[int] = []

    def guess(i: int) -> None:
        response = post_sign_in(CheckingClient(), "alex", f"wrong password {i}")
        with guard:
            statuses.append(response.status_code)

    at_once(12, guess)
    assert len(checked) == limits().per_username == 5
    assert sorted(statuses) == [400] * 5 + [429] * 7


def test_lock_out_counts_usernames_case_blind(client: CheckingClient, parent: Account) -> None:
    for i in range(limits().per_username):
        post_sign_in(client, "ALEX" if i % 2 else "alex", "wrong password!")
    assert post_sign_in(client, "Alex", PASSWORD).status_code == 429


def test_lock_out_per_address_across_usernames(client: CheckingClient, parent: Account) -> None:
    for i in range(limits().per_ip):
        post_sign_in(client, f"guess{i}", "wrong password!", REMOTE_ADDR="203.0.113.9")
    assert post_sign_in(client, "alex", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert post_sign_in(client, "alex", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_csrf_is_enforced_on_sign_in_and_sign_out(csrf_client: CheckingClient, parent: Account) -> None:
    assert post_sign_in(csrf_client, "alex", PASSWORD).status_code == 403
    page = csrf_client.get("/sign-in/").page
    token = page.find(".//input[@name='csrfmiddlewaretoken']").get("value")
    response = csrf_client.post("/sign-in/", {"username": "alex", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert csrf_client.post("/sign-out/").status_code == 403


def test_sign_out_needs_a_post(client: CheckingClient, parent: Account) -> None:
    sign_in_as(client, parent)
    assert client.get("/sign-out/").status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/?signed-out=1"
    assert client.get("/portal/")["Location"].startswith("/sign-in/")


def test_next_only_goes_to_this_site(client: CheckingClient, parent: Account) -> None:
    response = client.post("/sign-in/?next=https://evil.example/", {"username": "alex", "password": PASSWORD})
    assert response["Location"] == "/portal/"


def test_session_expires_when_idle(client: CheckingClient, parent: Account) -> None:
    post_sign_in(client, "alex", PASSWORD)
    assert client.get("/portal/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/portal/")["Location"] == "/sign-in/?next=/portal/"


def test_staff_need_their_security_code(client: CheckingClient, staff: Account) -> None:
    response = post_sign_in(client, "dana", PASSWORD)
    assert response["Location"] == "/sign-in/security-code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/team/")["Location"].startswith("/sign-in/")
    assert client.post("/sign-in/security-code/", {"code": "000000"}).status_code == 400
    code = pyotp.TOTP(staff.totp_secret).now()
    response = client.post("/sign-in/security-code/", {"code": code})
    assert response["Location"] == "/team/"
    assert client.get("/team/").page.find(".//h1").text.strip() == "Team pages"


@pytest.mark.parametrize("code", ["²²²²²²", "١٢٣٤٥٦", "\uff11\uff12\uff13\uff14\uff15\uff16"])
def test_a_security_code_in_other_digits_is_refused_not_a_crash(client: CheckingClient, staff: Account,
                                                               code: str) -> None:
    post_sign_in(client, "dana", PASSWORD)
    response = client.post("/sign-in/security-code/", {"code": code})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_security_code_works_once(client: CheckingClient, staff: Account) -> None:
    code = pyotp.TOTP(staff.totp_secret).now()
    post_sign_in(client, "dana", PASSWORD)
    assert client.post("/sign-in/security-code/", {"code": code}).status_code == 302
    client.post("/sign-out/")
    post_sign_in(client, "dana", PASSWORD)
    assert client.post("/sign-in/security-code/", {"code": code}).status_code == 400


def test_wrong_security_codes_lock_out_too(client: CheckingClient, staff: Account) -> None:
    post_sign_in(client, "dana", PASSWORD)
    for _ in range(limits().per_username):
        client.post("/sign-in/security-code/", {"code": "000000"})
    code = pyotp.TOTP(staff.totp_secret).now()
    assert client.post("/sign-in/security-code/", {"code": code}).status_code == 429


def test_new_staff_set_up_security_codes_on_first_sign_in(client: CheckingClient, db: None) -> None:
    from famlink.services.accounts.provisioning import create_staff

    create_staff("newstaff", "practitioner", password=PASSWORD)
    response = post_sign_in(client, "newstaff", PASSWORD)
    assert response["Location"] == "/sign-in/set-up-security-code/"
    page = client.get("/sign-in/set-up-security-code/").page
    secret = "".join(page.find(".//*[@id='totp-key']").text.split())
    assert client.get("/sign-in/security-code/")["Location"] == "/sign-in/set-up-security-code/"
    assert client.post("/sign-in/set-up-security-code/", {"code": "123456"}).status_code == 400
    assert client.post("/sign-in/set-up-security-code/", {"code": pyotp.TOTP(secret).now()})["Location"] == "/team/"
    account = Account.objects.get(user__username="newstaff")
    assert account.totp_secret == secret and account.totp_confirmed_at is not None


def test_a_password_alone_cannot_replace_security_codes(client: CheckingClient, staff: Account) -> None:
    post_sign_in(client, "dana", PASSWORD)
    assert client.get("/sign-in/set-up-security-code/")["Location"] == "/sign-in/security-code/"


def test_security_code_page_without_a_password_first(client: CheckingClient, db: None) -> None:
    assert client.get("/sign-in/security-code/").status_code == 401


def test_parents_and_staff_keep_to_their_own_pages(client: CheckingClient, parent: Account, staff: Account) -> None:
    sign_in_as(client, parent)
    assert client.get("/team/").status_code == 403
    client.logout()
    sign_in_as(client, staff)
    assert client.get("/portal/").status_code == 403
    assert client.get("/team/").status_code == 200


def test_staff_without_a_second_factor_this_session_are_not_staff(client: CheckingClient, staff: Account) -> None:
    client.force_login(staff.user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/team/").status_code == 403
