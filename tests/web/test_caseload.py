"""The caseload and alerts pages: a practitioner's families by public id, and the alerts they acknowledge."""

from __future__ import annotations

import pytest

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.workspace.models import Alert
from famlink.services.accounts.provisioning import create_staff
from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.caseload import allocate
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db


def practitioner(username: str, job: str = "health_visitor") -> Account:
    src = builders.source("health")
    create_staff(username, job=job, organisation=src.organisation.name, service="health",
                 password="not-a-real-password-1")
    return Account.objects.get(user__username=username)


@pytest.fixture
def caseload() -> tuple[builders.Family, Account]:
    fam = builders.family("Page")
    account = practitioner("hv.amy")
    allocate("hv.amy", fam.child.public_id, lead=True, case_reference="HV-12")
    raise_alert(fam.mother, Alert.Kind.STATEMENT, "The family added their side to a record from Health Trust")
    return fam, account


def test_the_caseload_lists_families_by_public_id_with_their_new_alerts(client: CheckingClient, caseload) -> None:
    fam, account = caseload
    page = sign_in_as(client, account).get("/workspace/caseload/")
    assert page.status_code == 200
    body = page.content.decode()
    row = page.page.find(f".//a[@href='/workspace/families/{fam.child.public_id}/']")
    assert row is not None and row.text == fam.child.public_id
    assert "HV-12" in body and "Lead practitioner" in body and "1 new alert" in body
    assert all(name not in body for name in (fam.child.display_name, fam.mother.display_name))  # names: behind the door
    assert "Signed in as: Health visitor" in " ".join("".join(page.page.itertext()).split())


def test_a_practitioner_acknowledges_their_own_alert_and_no_one_elses(client: CheckingClient, caseload) -> None:
    _, account = caseload
    alert = Alert.objects.get()
    other = practitioner("sw.sam", "social_worker")
    assert sign_in_as(CheckingClient(), other).post(f"/workspace/alerts/{alert.pk}/acknowledge/",
                                                    {"note": "mine now"}).status_code == 404
    signed = sign_in_as(client, account)
    page = signed.get("/workspace/alerts/")
    assert "The family added their side to a record from Health Trust" in page.content.decode()
    assert page.page.find(f".//form[@action='/workspace/alerts/{alert.pk}/acknowledge/']") is not None
    assert signed.get(f"/workspace/alerts/{alert.pk}/acknowledge/").status_code == 405
    done = signed.post(f"/workspace/alerts/{alert.pk}/acknowledge/", {"note": "Rang the family"}, follow=True)
    assert done.status_code == 200 and "Alert acknowledged." in done.content.decode()
    assert "Rang the family" in done.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_note == "Rang the family"
    assert signed.post(f"/workspace/alerts/{alert.pk}/acknowledge/", {"note": ""}).status_code == 409
    assert "0 new alerts" in signed.get("/workspace/caseload/").content.decode()


def test_the_pages_are_for_practitioners_and_safeguarding_leads(client: CheckingClient, staff: Account) -> None:
    assert client.get("/workspace/caseload/")["Location"].startswith("/sign-in/")
    signed = sign_in_as(client, staff)  # the data team
    assert signed.get("/workspace/caseload/").status_code == 403
    assert signed.get("/workspace/alerts/").status_code == 403


def test_the_acknowledge_form_needs_its_csrf_token(csrf_client: CheckingClient, caseload) -> None:
    _, account = caseload
    alert = Alert.objects.get()
    response = sign_in_as(csrf_client, account).post(f"/workspace/alerts/{alert.pk}/acknowledge/", {"note": ""})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_practitioners_team_page_leads_to_their_caseload_and_alerts(client: CheckingClient, caseload,
                                                                      staff: Account) -> None:
    _, account = caseload
    page = sign_in_as(client, account).get("/team/").page
    links = {a.get("href") for a in page.iter("a")}
    assert {"/workspace/caseload/", "/workspace/alerts/"} <= links and "/team/requests/" not in links
    team = sign_in_as(CheckingClient(), staff).get("/team/").page
    team_links = {a.get("href") for a in team.iter("a")}
    assert "/team/requests/" in team_links and "/workspace/caseload/" not in team_links
