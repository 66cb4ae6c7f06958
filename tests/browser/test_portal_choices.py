"""Your choices on a phone in Debian's Chromium: axe-core on each page, a change, a mistake, the banner."""

from __future__ import annotations

from typing import Any

import pytest

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import Consent
from famlink.core.taxonomy import Purpose
from tests.browser.conftest import check_page
from tests.browser.test_portal_front_door import PASSWORD, sign_in
from tests.common.export_family import linked_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_changes_a_choice_for_their_child(live_server: Any, phone_page: Any) -> None:
    fam = linked_family("Phone", children=1, records_per_person=2, staff_looks=1)
    user = Account.objects.get(user=fam.user).user
    user.set_password(PASSWORD)
    user.save()
    page, base = phone_page, live_server.url
    sign_in(page, base, user.username)
    page.wait_for_url(f"{base}/portal/")
    page.goto(f"{base}/portal/consent/")
    check_page(page, "choices-1-overview")
    child = fam.children[0].public_id
    page.goto(f"{base}/portal/consent/{child}/{Purpose.EARLY_HELP_IDENTIFICATION.value}/")
    check_page(page, "choices-2-question")
    page.get_by_role("button", name="Save my answer").click()  # nothing chosen: the error summary
    assert "Choose what you want to do." in page.inner_text(".govuk-error-summary")
    check_page(page, "choices-3-error")
    page.get_by_label("Yes, I agree").check()
    page.get_by_label("Services can share records with each other").check()
    page.get_by_role("button", name="Save my answer").click()
    page.wait_for_url(f"{base}/portal/consent/#person-{child}")
    assert "You said yes to 'Finding families who might want early help'" in page.inner_text(".govuk-notification-banner")
    check_page(page, "choices-4-done")
    assert Consent.objects.get(person=fam.children[0], purpose=Purpose.EARLY_HELP_IDENTIFICATION.value).state == "given"
    page.goto(f"{base}/portal/consent/{child}/opt-out/sharing/")
    check_page(page, "choices-5-opt-out")
    page.goto(f"{base}/portal/download/")
    check_page(page, "download-1-page")
