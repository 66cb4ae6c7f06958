"""Every id and number in a URL: anything but ASCII digits is a 400 or a 404, never a 500.

``str.isdigit()`` says yes to ``²`` and ``int()`` says no, and ``int()`` reads
``١٢`` (Arabic-Indic digits) as 12: an id checked one way and read the other
crashed, or named a different entry. A NUL byte in a reference crashed on
PostgreSQL, which refuses it in any string. The walk below fills every URL
parameter of every route with such text, as the people each page lets in.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from famlink.core.taxonomy import Purpose
from tests.common import builders
from tests.web.routewalk import Route, client_for_path, fill, routes
from tests.web.test_route_walk import walk_setup

pytestmark = pytest.mark.django_db
ASCII_DIGITS = re.compile(r"[0-9]+")
NAME = re.compile(r"[A-Za-z0-9._~-]{1,100}")  # public ids, references, model ids, purposes, formats
#: Digits that are not ASCII: superscripts, Arabic-Indic, fullwidth, Devanagari, Bengali, mathematical bold.
UNICODE_DIGITS = "²³¹٠١٢٣٤٥٦٧٨٩\uff10\uff11\uff12\uff13४५৩\U0001d7cf\U0001d7d0"
#: URL parameters that are numbers (the rest are names or public ids, matched as text).
NUMBER_KEYS = {"record_id", "entry", "pk"}

unicode_number = st.text(alphabet=UNICODE_DIGITS + "0123456789", min_size=1, max_size=6).filter(
    lambda s: not ASCII_DIGITS.fullmatch(s))
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
url_value = st.one_of(unicode_number, any_text)


def routes_with_ids() -> list[Route]:
    return [r for r in routes() if r.keys]


def test_the_walk_reaches_the_routes_that_take_numbers() -> None:
    keys = {k for r in routes_with_ids() for k in r.keys}
    assert keys >= NUMBER_KEYS


@pytest.fixture
def walk() -> tuple[dict[str, Client], dict[str, str]]:
    """The route walk's family, with one read by someone else in its access log."""
    clients, ids = walk_setup("ids")
    clients["/"].get(f"/api/persons/{ids['public_id']}/records", {"purpose": "service.direct_delivery"})  # a practitioner looks
    return clients, ids


@override_settings(FAMLINK_API_CALLS_PER_MINUTE=100_000)  # this walk is not about the rate limit
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=url_value)
@example(value="²")
@example(value="١٢")
@example(value="\x00")
def test_no_text_in_any_url_parameter_gives_a_server_error(
    walk: tuple[dict[str, Client], dict[str, str]], value: str,
) -> None:
    clients, ids = walk
    for route in routes_with_ids():
        for key in route.keys:
            path = fill(route, {**ids, **{k: "x" for k in route.keys if k not in ids}, key: quote(value, safe="")})
            response = client_for_path(clients, route.path).get(path)  # a 500 raises here
            assert response.status_code < 500, f"{path}: {response.status_code}"
            if not (ASCII_DIGITS if key in NUMBER_KEYS else NAME).fullmatch(value):
                assert response.status_code == 404, f"{path}: {response.status_code}"


def test_a_superscript_two_is_no_entry_of_the_access_log(walk: tuple[dict[str, Client], dict[str, str]]) -> None:
    response = walk[0]["/portal/"].get("/portal/access-log/%C2%B2/proof.json")
    assert response.status_code == 404


@pytest.fixture
def practitioner() -> tuple[Client, str]:
    fam = builders.family("bg")
    client = Client()
    client.force_login(builders.staff(name="bg-prac").user)
    return client, fam.child.public_id


@override_settings(FAMLINK_API_CALLS_PER_MINUTE=100_000)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=url_value.filter(lambda s: not ASCII_DIGITS.fullmatch(s)))
@example(value="²")
@example(value="١٢")
@example(value=" 12")
@example(value="1_000")
def test_break_glass_that_is_not_a_number_is_a_400_naming_it(practitioner: tuple[Client, str], value: str) -> None:
    client, child = practitioner
    response = client.get(f"/api/persons/{child}/records",
                          {"purpose": Purpose.SAFEGUARDING_CHILD_PROTECTION.value, "break_glass": value})
    assert response.status_code == 400, value
    assert json.loads(response.content)["parameter"] == "break_glass"
