"""A practitioner's journey at a desk, in Debian's Chromium, axe-core on every page.

They sign in with a password and a security code (TOTP), search for a child,
state a purpose and a case reference, open the family, and read the
chronology: a source on every line, and the parent's statement beside the
record it is about. Every page is screenshotted for the CI artefacts.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from famlink.adapters.storage.governance import actors
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.rights import requests
from tests.browser.conftest import DESK, artifacts_dir, check_page
from tests.browser.test_portal_front_door import PASSWORD
from tests.common import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STATEMENT = "The hospital cancelled this appointment. We did not miss it."


def a_family_whose_parent_added_her_side() -> builders.Family:
    fam = builders.consenting_family("Desk")
    missed = builders.record(builders.source("health"), fam.child, note="Outpatients, paediatrics",
                             status="did_not_attend", event_date=timezone.localdate().replace(year=2025, day=1))
    builders.record(builders.source("education"), fam.child, category="education.attendance", note="Term 1")
    create_parent("desk-mum", fam.mother, password=PASSWORD)
    mum = User.objects.get(username="desk-mum")
    requests.report(actors.actor_for(mum), mum, fam.child, missed.pk, "request:rectification", STATEMENT)
    return fam


def test_sign_in_search_state_a_purpose_open_the_family_and_read_the_chronology(
        live_server: Any, desk_page: Any) -> None:
    fam = a_family_whose_parent_added_her_side()
    account = builders.practitioner_account("pat", password=PASSWORD)
    publish()
    page, base = desk_page, live_server.url

    page.goto(f"{base}/workspace/")  # not signed in: sign in first, then back here
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    check_page(page, "workspace-1-security-code", DESK["width"])
    page.get_by_label("Security code").fill(pyotp.TOTP(account.totp_secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/workspace/")
    check_page(page, "workspace-2-find", DESK["width"])

    page.get_by_label("Purpose").select_option(Purpose.DIRECT_SERVICE_DELIVERY.value)
    page.get_by_label("Name").fill("Child Desk")
    page.get_by_role("button", name="Search").click()
    check_page(page, "workspace-3-results", DESK["width"])
    page.get_by_role("link", name="Open the family of Child Desk").click()

    check_page(page, "workspace-4-purpose", DESK["width"])
    page.get_by_role("button", name="Open the family").click()  # nothing given: errors first
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, "workspace-5-purpose-errors", DESK["width"])
    page.get_by_label("Giving a service the family uses (direct delivery)").check()
    page.get_by_label("Case reference").fill("EH-2026-0042")
    page.get_by_role("button", name="Open the family").click()
    page.wait_for_url(f"{base}/workspace/families/{fam.child.public_id}/")
    main = page.inner_text("main")
    assert "Mother Desk" in main and "Do not disclose this address" in main
    check_page(page, "workspace-6-family", DESK["width"])

    page.get_by_role("link", name="See the multi-agency chronology").click()
    check_page(page, "workspace-7-chronology", DESK["width"])
    lines = page.locator("tr.famlink-chronology-line")
    assert lines.count() >= 4
    for i in range(lines.count()):
        assert lines.nth(i).locator("td.famlink-source").inner_text().strip(), f"line {i} has no source"
    missed = page.locator("tr.famlink-chronology-line", has_text="Outpatients, paediatrics")
    assert STATEMENT in missed.inner_text() and "disputed by the family" in missed.inner_text()
    assert "did not attend" in missed.inner_text()

    page.get_by_text("Filter by person, agency or period").click()
    page.get_by_label("Agency").select_option(index=1)
    page.get_by_role("button", name="Apply filters").click()
    check_page(page, "workspace-8-chronology-filtered", DESK["width"])
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a printable PDF").click()
    saved = artifacts_dir() / "workspace-chronology.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
