"""The journey the portal exists for, on a phone in Debian's Chromium, axe-core on every page.

A parent finds the "did not attend" the hospital cancelled, reports it, sees
it disputed; the data team corrects it; the parent sees the correction and
downloads the PDF. Every page is screenshotted for the CI artefacts.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent, create_staff
from famlink.services.governance.audit.publication import publish
from tests.browser.conftest import artifacts_dir, check_page
from tests.browser.test_portal_front_door import PASSWORD, sign_in
from tests.common import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STATEMENT = "The hospital cancelled this appointment. We did not miss it."


def a_family_with_a_missed_appointment() -> tuple[builders.Family, SourceRecord]:
    fam = builders.family("Journey")
    missed = builders.record(builders.source("health"), fam.child, note="Outpatients, paediatrics")
    missed.status, missed.event_date = "did_not_attend", timezone.localdate().replace(year=2025)
    missed.save()
    return fam, missed


def a_data_team_member() -> str:
    create_staff("dana", Role.DATA_TEAM.value, password=PASSWORD)
    account = Account.objects.get(user__username="dana")
    account.totp_secret, account.totp_confirmed_at = pyotp.random_base32(), timezone.now()
    account.save()
    StaffActor.objects.update_or_create(user=User.objects.get(username="dana"), defaults={
        "role": Role.DATA_TEAM.value, "purposes": [Purpose.SUBJECT_ACCESS.value]})
    return account.totp_secret


def sign_out(page: Any, base: str) -> None:
    page.goto(f"{base}/sign-out/")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/sign-in/?signed-out=1")


def test_report_dispute_correct_and_download(live_server: Any, phone_page: Any) -> None:
    fam, missed = a_family_with_a_missed_appointment()
    create_parent("alex", fam.mother, password=PASSWORD)
    secret = a_data_team_member()
    publish()
    page, base = phone_page, live_server.url

    # The parent finds the record and reports it.
    sign_in(page, base, "alex")
    page.wait_for_url(f"{base}/portal/")
    page.get_by_role("main").get_by_role("link", name="Your family's records").click()
    check_page(page, "journey-1-records")
    card = page.locator(f"#record-{missed.pk}")
    assert "Did not attend" in card.inner_text()
    card.get_by_role("link", name="Report a mistake or add your side").click()
    check_page(page, "journey-2-report")
    page.get_by_role("button", name="Send").click()  # nothing chosen: the errors come first
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, "journey-3-report-errors")
    page.get_by_label("Something in it is wrong").check()
    page.get_by_label("Tell us in your own words").fill(STATEMENT)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{base}/portal/requests/R-*/")
    reference = page.get_by_role("heading", level=1).inner_text().removeprefix("Request ")
    assert "We have your request" in page.inner_text("main")
    check_page(page, "journey-4-request")
    page.goto(f"{base}/portal/records/")
    card = page.locator(f"#record-{missed.pk}")
    assert "Disputed" in card.inner_text() and STATEMENT in card.inner_text()
    sign_out(page, base)

    # The data team corrects it.
    sign_in(page, base, "dana")
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/team/")
    page.goto(f"{base}/team/requests/")
    check_page(page, "journey-5-team-queue")
    page.get_by_role("link", name=reference).click()
    assert STATEMENT in page.inner_text("main")
    check_page(page, "journey-6-team-request")
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_label("Correct the record").check()
    page.get_by_label("If correcting: what should it say happened?").select_option("cancelled_by_provider")
    page.get_by_label("What to tell the family").fill("The hospital confirmed it cancelled the appointment.")
    page.get_by_role("button", name="Save and tell the family").click()
    assert "Corrected" in page.inner_text("main")
    page.goto(f"{base}/team/metrics/")
    check_page(page, "journey-7-team-metrics")
    sign_out(page, base)

    # The parent sees the correction, the message, and downloads everything.
    sign_in(page, base, "alex")
    page.wait_for_url(f"{base}/portal/")
    page.goto(f"{base}/portal/messages/")
    assert reference in page.inner_text("main") and "corrected" in page.inner_text("main")
    check_page(page, "journey-8-messages")
    page.goto(f"{base}/portal/records/")
    corrected = page.locator(".govuk-summary-card", has_text="Cancelled by the service")
    assert corrected.count() == 1 and "Corrected" in corrected.inner_text()
    check_page(page, "journey-9-records-corrected")
    for path, name in (("/portal/links/", "links"), ("/portal/flags/", "flags"), ("/portal/access-log/", "access-log"),
                       ("/portal/organisations/", "organisations"), ("/portal/requests/", "requests")):
        page.goto(f"{base}{path}")
        check_page(page, f"journey-10-{name}")
    page.goto(f"{base}/portal/download/")
    check_page(page, "journey-11-download")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").first.click()
    saved = artifacts_dir() / "journey-family.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
