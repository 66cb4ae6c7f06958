"""A practitioner from the demo's accounts signs in with password and code, sees their caseload, acknowledges an alert.

axe-core checks every page on the way (phone-sized, as the other journeys).
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from famlink.adapters.storage.workspace.models import Alert
from famlink.services.accounts.provisioning import demo_accounts
from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.caseload import allocate
from tests.browser.conftest import check_page
from tests.common import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_practitioner_signs_in_sees_their_caseload_and_acknowledges_an_alert(live_server: Any,
                                                                              phone_page: Any) -> None:
    for sector in ("health", "education", "childrens_social_care"):
        builders.source(sector)
    fam = builders.family("Journey")
    accounts = {a["username"]: a for a in demo_accounts([fam.mother], ["parent1"])}
    visitor = accounts["healthvisitor"]
    allocate("healthvisitor", fam.child.public_id, lead=True, case_reference="HV-7")
    raise_alert(fam.mother, Alert.Kind.DISPUTE, "The family reported a mistake in a record from Health Trust")
    page, base = phone_page, live_server.url
    page.goto(f"{base}/sign-in/?next=/workspace/caseload/")
    page.get_by_label("Username").fill("healthvisitor")
    page.get_by_label("Password").fill(str(visitor["password"]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/sign-in/security-code/")
    check_page(page, "workspace-security-code")
    page.get_by_label("Security code").fill(pyotp.TOTP(str(visitor["totp_secret"])).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/workspace/caseload/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your caseload"
    assert page.get_by_role("link", name=fam.child.public_id).is_visible()
    assert page.get_by_text("Signed in as: Health visitor").count() == 1  # the job, in the header
    check_page(page, "workspace-caseload")
    page.get_by_role("link", name="1 new alert").click()
    page.wait_for_url(f"{base}/workspace/alerts/")
    check_page(page, "workspace-alerts")
    page.get_by_label("What you did (optional)").fill("Called the family")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{base}/workspace/alerts/")
    assert page.get_by_text("Alert acknowledged.").is_visible()
    check_page(page, "workspace-alerts-acknowledged")
    alert = Alert.objects.get()
    assert alert.acknowledged_at is not None and alert.acknowledged_note == "Called the family"
    page.goto(f"{base}/workspace/caseload/")
    assert page.get_by_role("link", name="0 new alerts").is_visible()
