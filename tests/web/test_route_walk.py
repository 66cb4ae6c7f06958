"""Every route declares what it shows; every personal-data route asks the door and is logged."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.adapters.storage.governance import builders
from tests.web.routewalk import problems, routes

pytestmark = pytest.mark.django_db


def test_every_famlink_route_is_declared_and_personal_ones_are_audited() -> None:
    fam = builders.family("walk")
    client = Client()
    client.force_login(builders.staff().user)
    assert problems(client, fam.child.public_id) == []
    assert any("api/persons" in r.path for r in routes()), "the walker must see the personal-data routes"


@override_settings(ROOT_URLCONF="tests.web.bypass_urls")
def test_the_walker_catches_routes_that_bypass_the_door() -> None:
    fam = builders.family("bypass")
    client = Client()
    client.force_login(builders.staff().user)
    found = problems(client, fam.child.public_id, "tests.web.bypass_urls")
    assert any(p.startswith("/leak/") and "declares neither" in p for p in found)
    assert any(p.startswith("/sneaky/") and "without asking the policy door" in p for p in found)
    assert len(found) == 2
