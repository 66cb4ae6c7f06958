"""Report a mistake in the portal, answer it in the team pages, see the outcome: page by page."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent, create_staff
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> dict[str, object]:
    fam = builders.family("Flow")
    create_parent("flow-mum", fam.mother, password="not-a-real-password-1")
    create_staff("flow-team", Role.DATA_TEAM.value, password="not-a-real-password-1")
    team_user = User.objects.get(username="flow-team")
    StaffActor.objects.get_or_create(user=team_user, defaults={
        "role": Role.DATA_TEAM.value, "purposes": [Purpose.SUBJECT_ACCESS.value]})
    record = next(r for r in holdings.linked_records(fam.child) if not r.sensitive)
    return {"fam": fam, "record": record,
            "mum": sign_in_as(CheckingClient(), Account.objects.get(user__username="flow-mum")),
            "team": sign_in_as(CheckingClient(), Account.objects.get(user__username="flow-team"))}


def report_url(setting: dict) -> str:  # type: ignore[type-arg]
    return f"/portal/records/{setting['fam'].child.public_id}/{setting['record'].pk}/report/"


def test_an_empty_report_is_refused_with_the_field_named_and_nothing_written(setting: dict) -> None:  # type: ignore[type-arg]
    response = setting["mum"].post(report_url(setting), {"kind": "request:rectification", "statement": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_statement"' in page
    assert not RightsRequest.objects.exists()


def test_a_report_on_another_familys_record_is_not_found(setting: dict) -> None:  # type: ignore[type-arg]
    other = builders.family("Stranger")
    theirs = holdings.linked_records(other.child).first()
    for url in (f"/portal/records/{other.child.public_id}/{theirs.pk}/report/",
                f"/portal/records/{setting['fam'].child.public_id}/{theirs.pk}/report/",
                f"/portal/records/{setting['fam'].father.public_id}/{setting['record'].pk}/report/"):
        assert setting["mum"].get(url).status_code == 404
        assert setting["mum"].post(url, {"kind": "request:context", "statement": "x"}).status_code == 404
    assert not RightsRequest.objects.exists()


def test_the_whole_journey_report_decide_see_the_outcome(setting: dict) -> None:  # type: ignore[type-arg]
    mum, team = setting["mum"], setting["team"]
    response = mum.post(report_url(setting), {"kind": "request:rectification",
                                              "statement": "The hospital cancelled this appointment"})
    assert response.status_code == 302
    made = RightsRequest.objects.get()
    status_page = mum.get(response["Location"]).content.decode()
    assert made.reference in status_page and "We have your request" in status_page
    assert "Disputed" in mum.get("/portal/records/").content.decode()

    queue = team.get("/team/requests/").content.decode()
    assert made.reference in queue and "On time" in queue
    detail = team.get(f"/team/requests/{made.reference}/").content.decode()
    assert "The hospital cancelled this appointment" in detail
    assert team.post(f"/team/requests/{made.reference}/", {"action": "assign"}).status_code == 302
    decided = team.post(f"/team/requests/{made.reference}/", {
        "outcome": "outcome:correct", "status": "cancelled_by_provider", "note": "",
        "reason": "The hospital confirmed it cancelled the appointment"})
    assert decided.status_code == 302

    records = mum.get("/portal/records/").content.decode()
    assert "Cancelled by the service" in records and "Corrected" in records
    inbox = mum.get("/portal/messages/").content.decode()
    assert made.reference in inbox and "hospital confirmed" in inbox
    assert "Corrected" in mum.get(f"/portal/requests/{made.reference}/").content.decode()
    metrics = team.get("/team/metrics/").content.decode()
    assert 'id="metric-closed">1<' in metrics


def test_parents_cannot_open_team_pages_and_staff_cannot_open_a_parents_request(setting: dict) -> None:  # type: ignore[type-arg]
    setting["mum"].post(report_url(setting), {"kind": "request:context", "statement": "My side"})
    made = RightsRequest.objects.get()
    for path in ("/team/requests/", f"/team/requests/{made.reference}/", "/team/metrics/"):
        assert setting["mum"].get(path).status_code == 403
    assert setting["team"].get(f"/portal/requests/{made.reference}/").status_code == 403
    create_parent("other-parent", builders.family("Nosy").mother, password="not-a-real-password-1")
    nosy = sign_in_as(CheckingClient(), Account.objects.get(user__username="other-parent"))
    assert nosy.get(f"/portal/requests/{made.reference}/").status_code == 404


def test_a_disputed_record_carries_the_parents_words_in_the_practitioner_api(setting: dict) -> None:  # type: ignore[type-arg]
    setting["mum"].post(report_url(setting), {"kind": "request:rectification", "statement": "Never happened"})
    dpo = builders.staff(Role.DPO, purposes=[Purpose.SUBJECT_ACCESS.value])
    client = CheckingClient()
    client.force_login(dpo.user)
    body = client.get(f"/api/persons/{setting['fam'].child.public_id}/records",
                      {"purpose": Purpose.SUBJECT_ACCESS.value}).json()
    disputed = [r for r in body["records"] if r["disputed"]]
    assert len(disputed) == 1 and disputed[0]["statements"][0]["statement"] == "Never happened"
    assert disputed[0]["local_id"] == setting["record"].local_id


def test_after_a_correction_the_records_page_and_the_download_show_only_the_new_version(setting: dict) -> None:  # type: ignore[type-arg]
    mum, team, old = setting["mum"], setting["team"], setting["record"]
    mum.post(report_url(setting), {"kind": "request:rectification", "statement": "We were there"})
    made = RightsRequest.objects.get()
    assert team.post(f"/team/requests/{made.reference}/", {
        "outcome": "outcome:correct", "status": "attended", "note": "", "reason": "The clinic's list shows it"},
    ).status_code == 302
    made.refresh_from_db()
    new = made.corrected_record
    page = mum.get("/portal/records/").content.decode()
    assert f"/{setting['fam'].child.public_id}/{new.pk}/report/" in page and f"/{old.pk}/report/" not in page
    document = json.loads(mum.get("/portal/download/family.json").content)
    held = [r for person in document["people"] for r in person["records"] if r["id"] in (old.pk, new.pk)]
    assert [(r["id"], r["version"], [h["version"] for h in r["history"]]) for r in held] == [(new.pk, 2, [1])]
    assert list(holdings.linked_records(setting["fam"].child).filter(local_id=old.local_id)) == [new]
