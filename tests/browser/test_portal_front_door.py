"""A parent signs in on a phone and reaches the portal; axe-core checks every page on the way."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person
from famlink.services.accounts.provisioning import create_parent, create_staff
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_parent_signs_in_and_reaches_the_portal(live_server: Any, phone_page: Any) -> None:
    create_parent("alex", Person.objects.create(display_name="Alex"), password=PASSWORD)
    page, base = phone_page, live_server.url
    page.goto(f"{base}/")
    check_page(page, "home")
    page.goto(f"{base}/sign-in/")
    check_page(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    check_page(page, "sign-in-errors")
    sign_in(page, base, "alex")
    page.wait_for_url(f"{base}/portal/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your family's records"
    check_page(page, "portal-start")
    page.goto(f"{base}/sign-out/")
    check_page(page, "sign-out")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/sign-in/?signed-out=1")
    check_page(page, "signed-out")


def test_an_unverified_parent_is_asked_for_their_code(live_server: Any, phone_page: Any) -> None:
    create_parent("robin", None, password=PASSWORD)
    page, base = phone_page, live_server.url
    sign_in(page, base, "robin")
    page.wait_for_url(f"{base}/portal/verify/")
    check_page(page, "portal-verify")
    page.get_by_label("Code from your letter").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, "portal-verify-error")


def test_welsh_pages_pass_too(live_server: Any, phone_page: Any) -> None:
    page, base = phone_page, live_server.url
    page.goto(f"{base}/sign-in/")
    page.get_by_role("link", name="Cymraeg").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mewngofnodi"
    check_page(page, "sign-in-cy")


def test_staff_set_up_security_codes_and_reach_the_team_pages(live_server: Any, phone_page: Any) -> None:
    create_staff("dana", "data_team", password=PASSWORD)
    page, base = phone_page, live_server.url
    sign_in(page, base, "dana")
    page.wait_for_url(f"{base}/sign-in/set-up-security-code/")
    check_page(page, "set-up-security-code")
    secret = "".join(page.locator("#totp-key").inner_text().split())
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/team/")
    check_page(page, "team-start")
    assert Account.objects.get(user__username="dana").totp_confirmed_at is not None
