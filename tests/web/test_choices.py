"""The consent and opt-out pages: see each choice, change it, and bad input writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    Consent,
    ConsentEvent,
    OptOut,
    OptOutEvent,
)
from famlink.core.consent import ConsentLevel, receipt_schema
from famlink.core.policy import Relation
from famlink.core.taxonomy import Purpose
from famlink.services.governance.consent import ConsentRequest, change_consent
from tests.common.export_family import LinkedFamily, linked_family
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as, sign_in_family

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_data_dir")]
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY.value
RESEARCH = Purpose.RESEARCH_STATISTICS.value


@pytest.fixture
def fam() -> LinkedFamily:
    return linked_family("Choice", children=1, records_per_person=1, staff_looks=0)


def text(element) -> str:  # type: ignore[no-untyped-def]
    return " ".join("".join(element.itertext()).split())


def written() -> tuple[int, int, int, int]:
    return (Consent.objects.count(), ConsentEvent.objects.count(), OptOut.objects.count(),
            OptOutEvent.objects.count())


def test_the_page_shows_each_purpose_for_the_parent_and_each_child(client: CheckingClient, fam: LinkedFamily) -> None:
    before = AuditLogEntry.objects.filter(subject_id=fam.children[0].public_id).count()
    page = sign_in_family(client, fam).get("/portal/consent/")
    assert page.status_code == 200
    body = text(page.page)
    assert "Your choices" in text(page.page.find(".//h1"))
    assert "Choices for Child Choice 1" in body and "Your own choices" in body
    child = page.page.find(f".//*[@id='person-{fam.children[0].public_id}']")
    assert child is not None
    assert "Yes. Services can share records with each other. Until" in body  # the child's direct-service consent
    assert "No. Nobody can use the records for this." in body  # the parent refused research
    assert "Not asked yet" in body
    assert "Opted out" in body and "Not opted out" in body  # the parent opted out of sharing, not linkage
    links = [a.get("href") for a in page.page.iter("a")]
    assert f"/portal/consent/{fam.children[0].public_id}/{DIRECT}/" in links
    assert f"/portal/consent/{fam.parent.public_id}/opt-out/linkage/" in links
    assert fam.other_parent.display_name not in page.content.decode()
    assert AuditLogEntry.objects.filter(subject_id=fam.children[0].public_id).count() > before  # read through the door


def test_an_expired_consent_reads_as_expired_and_can_be_renewed(client: CheckingClient, fam: LinkedFamily) -> None:
    child = fam.children[0]
    past = timezone.now() - timedelta(days=400)
    change_consent(ConsentRequest(person=child, purpose=RESEARCH, action="give", level=ConsentLevel.WITHIN_SERVICE,
                                  decided_by_id="x", decided_by=Relation.CHILD_UNDER_PR), at=past)
    sign_in_family(client, fam)
    assert "Your yes ran out on" in text(client.get("/portal/consent/").page)
    form = client.get(f"/portal/consent/{child.public_id}/{RESEARCH}/")
    assert "Your yes ran out on" in text(form.page)
    values = [i.get("value") for i in form.page.iter("input") if i.get("name") == "action"]
    assert values == ["renew", "give", "withdraw"]
    done = client.post(f"/portal/consent/{child.public_id}/{RESEARCH}/", {"action": "renew"}, follow=True)
    assert done.redirect_chain[-1][0].startswith("/portal/consent/")
    banner = done.page.find(".//*[@class='govuk-notification-banner__heading']")
    assert "You said yes to 'Research and statistics, with names removed' for Child Choice 1" in text(banner)
    row = Consent.objects.get(person=child, purpose=RESEARCH)
    assert (row.state, row.level) == ("renewed", "within_service")  # renewing keeps the level
    assert row.expires_at > timezone.now() + timedelta(days=360)


def test_give_change_level_withdraw_and_refuse_each_write_a_receipt(client: CheckingClient, fam: LinkedFamily) -> None:
    child = fam.children[0].public_id
    sign_in_family(client, fam)
    url = f"/portal/consent/{child}/{Purpose.EARLY_HELP_IDENTIFICATION.value}/"
    steps = [({"action": "give", "level": "within_service"}, "given", "within_service"),
             ({"action": "give", "level": "across_services"}, "given", "across_services"),
             ({"action": "withdraw", "level": "across_services"}, "withdrawn", "across_services"),
             ({"action": "refuse"}, "refused", "no_linking")]
    for form, state, level in steps:
        assert client.post(url, form).status_code == 302
        row = Consent.objects.get(person__public_id=child, purpose=Purpose.EARLY_HELP_IDENTIFICATION.value)
        assert (row.state, row.level) == (state, level)
    events = ConsentEvent.objects.filter(consent=row).order_by("version")
    assert [e.state for e in events] == ["given", "given", "withdrawn", "refused"]
    assert {e.decided_by_id for e in events} == {fam.user.username}
    assert all(e.receipt["subject"]["decided_by"]["relation"] == "child_under_parental_responsibility" for e in events)
    assert AuditLogEntry.objects.filter(subject_id=child, action="consent:withdrawn").exists()


def test_a_contradictory_change_gets_a_plain_error_naming_the_field_and_writes_nothing(
        client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(client, fam)
    before = written()
    url = f"/portal/consent/{fam.parent.public_id}/{DIRECT}/"
    cases = [({"action": "withdraw"}, "#action", "You cannot stop something you never said yes to."),
             ({"action": "renew"}, "#action", "There is nothing to renew"),
             ({}, "#action", "Choose what you want to do."),
             ({"action": "give"}, "#level", "Choose who can use the records."),
             ({"action": "give", "level": "no_linking"}, "#level", "Choose who can use the records.")]
    for form, href, message in cases:
        response = client.post(url, form)
        assert response.status_code == 400, form
        summary = response.page.find(".//*[@class='govuk-error-summary']")
        link = summary.find(".//a")
        assert link.get("href") == href and message in text(link), (form, text(link))
        assert response.page.find(".//head/title").text.startswith("Error: ")
        assert written() == before
    research = f"/portal/consent/{fam.parent.public_id}/{RESEARCH}/"  # refused before: refusing again says so
    assert "You already said no." in text(client.post(research, {"action": "refuse"}).page)
    assert written() == before


def test_a_child_of_16_decides_for_themselves(client: CheckingClient) -> None:
    fam = linked_family("Teen", children=1, records_per_person=1, staff_looks=0,
                        child_birth_year=timezone.localdate().year - 17)
    teen = fam.children[0].public_id
    sign_in_family(client, fam)
    page = client.get("/portal/consent/")
    assert "is 16 or over, so they make these choices for themselves" in text(page.page)
    assert f"/portal/consent/{teen}/{DIRECT}/" not in [a.get("href") for a in page.page.iter("a")]
    before = written()
    response = client.post(f"/portal/consent/{teen}/{RESEARCH}/", {"action": "give", "level": "within_service"})
    assert response.status_code == 400 and "so they decide this for themselves" in text(response.page)
    assert client.post(f"/portal/consent/{teen}/opt-out/linkage/", {"choice": "yes"}).status_code == 400
    assert written() == before


def test_opting_out_and_back_in(client: CheckingClient, fam: LinkedFamily) -> None:
    child = fam.children[0]
    sign_in_family(client, fam)
    url = f"/portal/consent/{child.public_id}/opt-out/linkage/"
    form = client.get(url)
    assert text(form.page.find(".//h1")) == "Opt out of linking records"
    done = client.post(url, {"choice": "yes"}, follow=True)
    assert "You have opted out of linking records for Child Choice 1." in text(done.page)
    assert OptOut.objects.get(person=child, kind="linkage").active
    before = written()
    again = client.post(url, {"choice": "yes"})
    assert again.status_code == 400 and "That is already your choice. Nothing was changed." in text(again.page)
    assert client.post(url, {"choice": "maybe"}).status_code == 400
    assert written() == before
    client.post(url, {"choice": "no"})
    assert not OptOut.objects.get(person=child, kind="linkage").active
    assert AuditLogEntry.objects.filter(subject_id=child.public_id, action="opt_out:cleared").exists()


def test_unknown_purposes_and_kinds_are_not_found(client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(client, fam)
    before = written()
    me = fam.parent.public_id
    for url in (f"/portal/consent/{me}/fraud.debt_recovery/", f"/portal/consent/{me}/nonsense/",
                f"/portal/consent/{me}/opt-out/everything/"):
        assert client.get(url).status_code == 404
        response = client.post(url, {"action": "give", "level": "within_service", "choice": "yes"})
        assert response.status_code == 404 and "Go back to your choices" in text(response.page)
    assert written() == before


def test_parent_a_cannot_reach_parent_bs_choices_by_changing_ids(client: CheckingClient, fam: LinkedFamily) -> None:
    other = linked_family("Other", children=1, records_per_person=1, staff_looks=0)
    sign_in_family(client, fam)
    before = written()
    for person in (other.parent, other.children[0], fam.other_parent):  # another family, and the other adult here
        denied_before = AuditLogEntry.objects.filter(subject_id=person.public_id, decision="deny").count()
        for url, form in ((f"/portal/consent/{person.public_id}/{DIRECT}/", {"action": "give", "level": "within_service"}),
                          (f"/portal/consent/{person.public_id}/opt-out/sharing/", {"choice": "yes"})):
            for response in (client.get(url), client.post(url, form)):
                assert response.status_code == 403, url
                assert person.display_name not in response.content.decode()
        assert AuditLogEntry.objects.filter(subject_id=person.public_id, decision="deny").count() == denied_before + 4
    assert client.post(f"/portal/consent/P000000000000/{DIRECT}/", {"action": "refuse"}).status_code == 404
    assert written() == before
    receipts = json.loads(client.get("/portal/consent/receipts.json").content)
    assert {p["person_id"] for p in receipts["people"]} == {fam.parent.public_id, fam.children[0].public_id}


def test_changes_need_the_csrf_token(csrf_client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(csrf_client, fam)
    before = written()
    url = f"/portal/consent/{fam.parent.public_id}/{DIRECT}/"
    assert csrf_client.post(url, {"action": "give", "level": "within_service"}).status_code == 403
    form = csrf_client.get(url)
    token = next(i.get("value") for i in form.page.iter("input") if i.get("name") == "csrfmiddlewaretoken")
    assert csrf_client.post(url, {"action": "give", "level": "within_service",
                                  "csrfmiddlewaretoken": token}).status_code == 302
    assert written() != before


def test_receipts_download_is_every_receipt_valid_against_its_schema(client: CheckingClient, fam: LinkedFamily) -> None:
    from jsonschema import Draft202012Validator

    response = sign_in_family(client, fam).get("/portal/consent/receipts.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    receipts = [r for p in document["people"] for r in p["receipts"]]
    assert len(receipts) == ConsentEvent.objects.filter(consent__person__in=fam.people).count() == 2
    validator = Draft202012Validator(receipt_schema())
    assert all(not list(validator.iter_errors(r)) for r in receipts)
    assert AuditLogEntry.objects.filter(subject_id=fam.parent.public_id, action="rights:data_downloaded").exists()


def test_an_unverified_parent_is_sent_to_verify_and_staff_are_refused(
        client: CheckingClient, unverified_parent: Account, staff: Account) -> None:
    sign_in_as(client, unverified_parent)
    assert client.get("/portal/consent/")["Location"] == "/portal/verify/"
    sign_in_as(client, staff)
    assert client.get("/portal/consent/").status_code == 403


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.one_of(st.sampled_from(["give", "renew", "withdraw", "refuse", "", "GIVE"]), st.text(max_size=30)),
       level=st.one_of(st.sampled_from(["within_service", "across_services", "no_linking", ""]), st.text(max_size=30)),
       purpose=st.sampled_from([DIRECT, RESEARCH, "service.record_linkage", "rights.subject_access", "x"]))
def test_any_form_input_gets_a_page_never_a_traceback_or_a_half_write(
        client: CheckingClient, fam: LinkedFamily, action: str, level: str, purpose: str) -> None:
    sign_in_family(client, fam)
    before = written()
    response = client.post(f"/portal/consent/{fam.children[0].public_id}/{purpose}/",
                           {"action": action, "level": level})
    assert response.status_code in (302, 400, 404)
    if response.status_code == 302:
        assert written()[1] == before[1] + 1  # exactly one consent event: a whole change
    else:
        assert written() == before
        if response.status_code == 400:
            assert response.page.find(".//*[@class='govuk-error-summary']") is not None
