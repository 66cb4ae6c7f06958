"""The API's documentation page on a phone: axe-core, no CSP violation (no script or CDN of its own), no sideways
scrolling."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_page_is_accessible_under_the_csp(live_server: Any, phone_page: Any) -> None:
    phone_page.goto(f"{live_server.url}/api/docs")
    assert phone_page.get_by_role("heading", level=1).inner_text() == "famlink API"
    assert phone_page.get_by_role("heading", name="GET /api/families/{person_id}/chronology").is_visible()
    check_page(phone_page, "api-docs")
