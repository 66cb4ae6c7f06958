"""Child-protection access end to end, on a phone in Debian's Chromium, axe-core on every page.

A social worker asks for access to a child whose family opted out of
sharing; the designated safeguarding lead approves on their own screen; the
independent reviewer finds it justified; the mother reads, in her messages,
who looked, why and how to complain. Each member of staff signs in with a
password and a security code.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import StaffActor
from famlink.core.policy import Actor, Role
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.consent import set_opt_out
from tests.browser.conftest import check_page
from tests.browser.test_portal_front_door import PASSWORD, sign_in
from tests.browser.test_portal_journey import sign_out
from tests.common import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WHY = "A hospital referral says the child had an unexplained injury; a section 47 enquiry is open today."


def signs_in_with_a_code(member: StaffActor) -> str:
    """Give a member of staff a password and a confirmed security-code secret; return the secret."""
    member.user.set_password(PASSWORD)
    member.user.save()
    account = builders.staff_account(member)
    account.totp_secret, account.totp_confirmed_at = pyotp.random_base32(), timezone.now()
    account.save()
    return account.totp_secret


def staff_sign_in(page: Any, base: str, member: StaffActor, secret: str) -> None:
    sign_in(page, base, member.user.username)
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/team/")


def test_ask_approve_review_and_the_parent_is_told(live_server: Any, phone_page: Any) -> None:
    fam = builders.family("Journey")
    set_opt_out(fam.child, "sharing", True, recorded_by=Actor(id="dt", role=Role.DATA_TEAM))
    create_parent("alex", fam.mother, password=PASSWORD)
    cast = builders.break_glass_cast("j")
    secrets = {member.pk: signs_in_with_a_code(member) for member in (cast.practitioner, cast.lead, cast.reviewer)}
    page, base = phone_page, live_server.url

    # The social worker asks.
    staff_sign_in(page, base, cast.practitioner, secrets[cast.practitioner.pk])
    page.goto(f"{base}/workspace/break-glass/new/?person={fam.child.public_id}")
    check_page(page, "break-glass-1-ask")
    page.get_by_role("button", name="Send to the authoriser").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page, "break-glass-2-ask-errors")
    page.get_by_label("Who should authorise this").select_option(str(cast.lead.pk))
    page.get_by_label("Case reference").fill("CP-2026-042")
    page.get_by_label("Why you need access now").fill(WHY)
    page.get_by_role("button", name="Send to the authoriser").click()
    page.wait_for_url(f"{base}/workspace/break-glass/*/")
    assert "waiting for the authoriser" in page.inner_text("main")
    check_page(page, "break-glass-3-request")
    page.goto(f"{base}/workspace/break-glass/")
    check_page(page, "break-glass-4-mine")
    sign_out(page, base)

    # The named authoriser approves on their own screen.
    staff_sign_in(page, base, cast.lead, secrets[cast.lead.pk])
    page.goto(f"{base}/workspace/break-glass/to-decide/")
    check_page(page, "break-glass-5-to-decide")
    page.get_by_role("main").get_by_role("link").filter(has_text="1").first.click()
    assert WHY in page.inner_text("main")
    check_page(page, "break-glass-6-decide")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Save your decision").click()
    assert "Authorisation number" in page.inner_text("main") and "Family told" in page.inner_text("main")
    check_page(page, "break-glass-7-approved")
    sign_out(page, base)

    # The independent reviewer reviews it: never the family's records.
    staff_sign_in(page, base, cast.reviewer, secrets[cast.reviewer.pk])
    page.goto(f"{base}/workspace/reviews/")
    check_page(page, "break-glass-8-review-queue")
    page.get_by_role("main").get_by_role("link").filter(has_text="1").first.click()
    main = page.inner_text("main")
    assert WHY in main and fam.child.display_name not in main
    check_page(page, "break-glass-9-review")
    page.get_by_label("Justified", exact=True).check()
    page.get_by_label("Why").fill("The referral described a clear and present risk; access was proportionate.")
    page.get_by_role("button", name="Record your review").click()
    assert "Justified" in page.inner_text("main")
    check_page(page, "break-glass-10-reviewed")
    sign_out(page, base)

    # The mother reads who looked, why, and how to complain.
    sign_in(page, base, "alex")
    page.wait_for_url(f"{base}/portal/")
    page.goto(f"{base}/portal/messages/")
    main = page.inner_text("main")
    assert "Someone looked at your child" in main and WHY in main and "complain" in main
    check_page(page, "break-glass-11-parent-message")
    assert Account.objects.get(user__username="alex").user.famlink_messages.count() == 1
