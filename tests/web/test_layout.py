"""The page chrome: GOV.UK layout, security headers, CSP, Welsh, and the checking client itself."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.conf import settings

from tests.web.checking_client import CheckingClient, PageProblem, check_page

pytestmark = pytest.mark.django_db


def test_home_and_sign_in_have_the_gov_uk_chrome(client: CheckingClient) -> None:
    for url in ("/", "/sign-in/"):
        page = client.get(url).page
        assert page.find(".//a[@class='govuk-skip-link']").get("href") == "#main-content"
        assert page.find(".//main").get("id") == "main-content"
        assert page.find(".//*[@class='govuk-phase-banner']") is not None
        assert page.find(".//*[@class='govuk-service-navigation__service-name']") is not None
        footer = "".join(page.find(".//footer").itertext())
        assert "Algorithm register" in footer and "Contractor register" in footer and "Audit log" in footer
        assert page.find(".//meta[@name='viewport']").get("content").startswith("width=device-width")


def test_security_headers(client: CheckingClient) -> None:
    response = client.get("/sign-in/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_every_inline_script_is_allowed_by_its_hash(client: CheckingClient) -> None:
    response = client.get("/")
    allowed = response["Content-Security-Policy"]
    for script in response.page.iter("script"):
        if script.get("src"):
            assert script.get("src").startswith("/static/")
            continue
        digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    for element in response.page.iter():
        assert element.get("style") is None, "inline style attributes break the CSP"


def test_session_and_cookie_settings() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_HTTPONLY
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_welsh_chrome_when_cymraeg_is_chosen(client: CheckingClient) -> None:
    response = client.get("/language/cy/?next=/sign-in/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    page = client.get("/sign-in/").page
    assert page.get("lang") == "cy"
    assert "Neidio i'r prif gynnwys" in "".join(page.find(".//a[@class='govuk-skip-link']").itertext())
    assert page.find(".//h1").text.strip() == "Mewngofnodi"
    assert "Cofrestr algorithmau" in "".join(page.find(".//footer").itertext())
    english = page.find(".//a[@hreflang='en']")
    assert english is not None and english.get("lang") == "en"


def test_english_by_default_with_a_link_to_cymraeg(client: CheckingClient) -> None:
    page = client.get("/").page
    assert page.get("lang") == "en"
    assert page.find(".//a[@hreflang='cy']").text.strip() == "Cymraeg"


def test_language_switch_never_sends_people_off_site(client: CheckingClient) -> None:
    response = client.get("/language/cy/?next=https://evil.example/")
    assert response["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<!DOCTYPE html><html><head><title>A</title></head><body><h1>A</h1><p>x</div></body></html>", "invalid HTML"),
        ("<!DOCTYPE html><html><head><title>A</title></head><body><h1>A</h1><h1>B</h1></body></html>", "one h1"),
        ("<!DOCTYPE html><html><head><title>B - x</title></head><body><h1>A</h1></body></html>", "does not start"),
        ("<!DOCTYPE html><html><head><title>A</title></head><body><h1 id=a>A</h1><p id=a></p></body></html>", "more than once"),
    ],
)
def test_the_checking_client_catches_bad_pages(html: str, problem: str) -> None:
    with pytest.raises(PageProblem, match=problem):
        check_page(html)


def test_the_checking_client_allows_the_gov_uk_error_prefix() -> None:
    check_page("<!DOCTYPE html><html><head><title>Error: Sign in - x</title></head><body><h1>Sign in</h1></body></html>")
