"""The public registers, without signing in, on a phone: axe-core, CSP and layout checks."""

from __future__ import annotations

from typing import Any

import pytest

from famlink.adapters.storage.governance import audit_log
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("path", "heading"), [
    ("/registers/algorithms", "Algorithm register"),
    ("/registers/contractors", "Contractor register"),
    ("/transparency/audit-log", "Audit log"),
])
def test_register_pages_are_accessible_without_signing_in(live_server: Any, phone_page: Any, path: str,
                                                          heading: str) -> None:
    audit_log.publish()  # a published tree head, so the audit-log page has a table to check
    phone_page.goto(f"{live_server.url}{path}")
    assert heading.lower() in phone_page.get_by_role("heading", level=1).inner_text().lower()
    check_page(phone_page, "register-" + path.strip("/").replace("/", "-"))
