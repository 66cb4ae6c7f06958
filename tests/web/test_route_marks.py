"""Every route's view is written with one route mark, and a personal-data view with a page guard above it.

Checked from the source, without a request (tests/web/route_marks.py): a
new view fails here before anyone walks to it. test_route_walk.py then proves
by requests that each personal-data route asks the door and is logged.
"""

from __future__ import annotations

from typing import Any

from famlink.web.marks import RouteAccess, declared
from tests.web.route_marks import mark_problems, written_decorators
from tests.web.routewalk import routes


def test_every_famlink_view_has_one_route_mark_and_personal_ones_a_guard() -> None:
    assert mark_problems() == []


def test_the_static_check_reads_every_route_the_walk_sees() -> None:
    """Not vacuous: it read the portal, team and API views, and what it read agrees with what they declare."""
    seen = {route.path: written_decorators(route.view)[0] for route in routes()}
    assert seen["/api/persons/<name:public_id>/records"] == "famlink.api.records.person_records"  # an API operation
    assert "/api/persons/<name:public_id>/records" in seen and "/portal/records/" in seen and "/team/" in seen
    assert seen["/sign-in/one-login/"] == "famlink.web.one_login.OneLoginStart"  # a class-based view, by its class
    for route in routes():
        assert declared(route.view) in (RouteAccess.PUBLIC, RouteAccess.PERSONAL_DATA), route.path


def test_the_static_check_catches_views_without_their_mark_or_guard() -> None:
    found = mark_problems("tests.web.unmarked_urls")
    assert [p.split(":")[0] for p in found] == [
        "/forgotten/", "/both/<name", "/unguarded/<name", "/guard-below/<name", "/unmarked-class/",
    ]
    assert "tests.web.unmarked_urls.forgotten has no route mark" in found[0]
    assert "has @public and @personal_data" in found[1]
    assert "with no page guard (@family_page, @parent_page, @staff_page" in found[2]
    assert "page guard below @personal_data" in found[3]
    assert "tests.web.unmarked_urls.Unmarked has no route mark" in found[4]


def test_without_the_api_gate_an_api_view_needs_a_page_guard_of_its_own(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith(".ApiGate")]
    found = mark_problems("tests.web.unmarked_urls")
    assert any(p.startswith("/api/people/") and "no page guard" in p for p in found)
    assert any(p.startswith("/api/persons/") for p in mark_problems())  # the real API read, ungated
