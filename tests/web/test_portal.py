"""The portal's front door: a parent proves who they are with the council's code, once."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from famlink.adapters.storage.accounts.access import current_person, staff_role
from famlink.adapters.storage.accounts.models import Account
from famlink.core.roles import Role
from famlink.services.accounts.verification import issue
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db


def test_a_parent_verifies_with_the_code_from_their_letter(client: CheckingClient, unverified_parent: Account, make_person) -> None:
    person = make_person("Robin Parent")
    code = issue(person, issued_by="data.team")
    sign_in_as(client, unverified_parent)
    assert client.get("/portal/")["Location"] == "/portal/verify/"
    wrong = client.post("/portal/verify/", {"code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 400
    assert wrong.page.find(".//*[@class='govuk-error-message']") is not None
    response = client.post("/portal/verify/", {"code": code.lower().replace("-", " ")}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert "Thank you" in "".join(response.page.find(".//*[@role='alert']").itertext())
    unverified_parent.refresh_from_db()
    assert unverified_parent.person == person and unverified_parent.verified_by == "code"
    assert client.get("/portal/verify/")["Location"] == "/portal/"


def test_an_empty_code_gets_a_clear_error(client: CheckingClient, unverified_parent: Account) -> None:
    sign_in_as(client, unverified_parent)
    response = client.post("/portal/verify/", {"code": ""})
    assert response.status_code == 400
    assert "Enter the code from your letter" in "".join(response.page.find(".//*[@class='govuk-error-summary']").itertext())


def test_current_person_and_staff_role(client: CheckingClient, parent: Account, staff: Account) -> None:
    request = RequestFactory().get("/")
    request.user = parent.user
    request.session = {}
    assert current_person(request) == parent.person
    assert staff_role(request) is None
    request = RequestFactory().get("/")
    request.user = staff.user
    request.session = {"famlink.second_factor": True}
    assert current_person(request) is None
    assert staff_role(request) == Role.DATA_TEAM
