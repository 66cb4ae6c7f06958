"""Every staff job from the demo's accounts signs in with password and code and walks the pages its start page offers.

One journey per job (early help worker, social worker, health visitor, school
safeguarding lead, designated safeguarding lead, data team, DPO, independent
reviewer, auditor): the real sign-in form, the second factor computed from the
account's ``totp_secret`` as an authenticator app would, then every staff page
the start page links to, each checked by axe-core at phone width. A page a job
is offered but may not open would fail here.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from famlink.core.roles import StaffJob
from famlink.services.accounts.provisioning import DEMO_STAFF, demo_accounts
from tests.browser.conftest import check_page
from tests.common import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STAFF_PAGES = ("/team/", "/workspace/", "/transparency/", "/registers/")


@pytest.mark.parametrize("job", [m.job for m in DEMO_STAFF], ids=[m.job.value for m in DEMO_STAFF])
def test_each_job_signs_in_with_a_code_and_every_page_it_is_offered_opens_and_passes_axe(
        live_server: Any, phone_page: Any, job: StaffJob) -> None:
    for sector in ("health", "education", "childrens_social_care"):
        builders.source(sector)
    fam = builders.family("Roles")
    accounts = {a["role"]: a for a in demo_accounts([fam.mother], ["parent1"])}
    account = accounts[job.value]
    page, base = phone_page, live_server.url
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(str(account["username"]))
    page.get_by_label("Password").fill(str(account["password"]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/sign-in/security-code/")
    page.get_by_label("Security code").fill(pyotp.TOTP(str(account["totp_secret"])).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/team/")
    check_page(page, f"role-{job.value}-start")
    offered = sorted({href for href in page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))")
        if href.startswith(STAFF_PAGES) and href != "/team/"})
    assert offered, f"the start page offers {job.value} nothing to do"
    for href in offered:
        answer = page.goto(f"{base}{href}")
        assert answer is not None and answer.status < 400, f"{job.value} is offered {href}, which answers {answer and answer.status}"
        check_page(page, f"role-{job.value}{href.rstrip('/').replace('/', '-')}")
