"""The workspace pages: purpose first, the family view, the chronology, and nothing of another family."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import FamilyOpening
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Role
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.services.workspace.opening import open_family
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY


@pytest.fixture
def fam() -> builders.Family:
    fam = builders.consenting_family("Page")
    return fam


@pytest.fixture
def worker(client: CheckingClient) -> tuple[CheckingClient, Account]:
    account = builders.practitioner_account("worker")
    return sign_in_as(client, account), account  # type: ignore[return-value]


def opened(account: Account, person_id: str, purpose: Purpose = DIRECT) -> None:
    open_family(actors.actor_for(account.user), person_id, purpose, "CASE-1")


def test_search_then_state_a_purpose_then_the_family(fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    client, _ = worker
    assert 'href="/workspace/"' in client.get("/team/").content.decode()  # where staff land after signing in
    assert client.get("/workspace/").page.find(".//h1").text.strip() == "Find a person"
    results = client.get("/workspace/search/", {"purpose": DIRECT.value, "name": "Child Page"})
    assert results.status_code == 200 and "Child Page" in results.content.decode()
    family_url = f"/workspace/families/{fam.child.public_id}/"
    assert client.get(family_url)["Location"] == f"{family_url}open/"  # purpose first
    assert client.get(f"{family_url}open/").status_code == 200
    refused = client.post(f"{family_url}open/", {"purpose": DIRECT.value, "case_reference": ""})
    assert refused.status_code == 400 and "Enter the case reference" in refused.content.decode()
    response = client.post(f"{family_url}open/", {"purpose": DIRECT.value, "case_reference": "EH-77"})
    assert response["Location"] == family_url
    page = client.get(family_url)
    body = page.content.decode()
    assert page.status_code == 200 and "Mother Page" in body and "Do not disclose this address" in body
    assert "See the multi-agency chronology" in body
    entry = AuditLogEntry.objects.filter(subject_id=fam.child.public_id, action=AuditEvent.FAMILY_OPENED.value).get()
    assert b"EH-77" in bytes(entry.entry_bytes)


def test_a_search_without_terms_goes_back_to_the_form_and_no_match_says_so(worker: tuple) -> None:  # type: ignore[type-arg]
    client, _ = worker
    assert client.get("/workspace/search/", {"purpose": DIRECT.value})["Location"] == "/workspace/"
    nobody = client.get("/workspace/search/", {"purpose": DIRECT.value, "name": "Nobody Here"})
    assert nobody.status_code == 404 and "No one matches" in nobody.content.decode()
    bad = client.get("/workspace/search/", {"purpose": DIRECT.value, "postcode": "not a postcode"})
    assert bad.status_code == 400 and "Enter a full postcode" in bad.content.decode()


def test_the_chronology_has_a_source_on_every_line_and_the_parents_words_beside(
        fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    client, account = worker
    create_parent("page-mum", fam.mother, password="not-a-real-password-1")
    mum = User.objects.get(username="page-mum")
    record = next(a.record for a in fam.child.assignments.all() if a.record.note == "note about Child Page")
    requests.report(actors.actor_for(mum), mum, fam.child, record.pk, "request:context", "The hospital cancelled it")
    opened(account, fam.child.public_id)
    page = client.get(f"/workspace/families/{fam.child.public_id}/chronology/")
    assert page.status_code == 200
    rows = page.page.findall(".//tr[@class='govuk-table__row famlink-chronology-line']")
    assert rows and all("".join(r.find("./td[@class='govuk-table__cell famlink-source']").itertext()).strip()
                        for r in rows)
    row = next(r for r in rows if "note about Child Page" in "".join(r.itertext()))
    assert "The hospital cancelled it" in "".join(row.itertext())
    pdf = client.get(f"/workspace/families/{fam.child.public_id}/chronology.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_chronology_filters_and_a_bad_filter(fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    client, account = worker
    src = fam.child.assignments.first().record.source
    builders.record(src, fam.child, event_date=date(2025, 4, 4), note="in April")
    opened(account, fam.child.public_id)
    url = f"/workspace/families/{fam.child.public_id}/chronology/"
    body = client.get(url, {"date_from": "1/4/2025", "date_to": "30/4/2025"}).content.decode()
    assert "in April" in body
    assert client.get(url, {"date_from": "yesterday"}).status_code == 400
    other = builders.family("Other")
    outside = client.get(url, {"person": other.child.public_id})
    assert outside.status_code == 400 and "Child Other" not in outside.content.decode()


def test_an_opening_of_one_family_opens_no_other(fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    """Every id in the URL is hostile: another family's ids, with an opening of this one, show nothing."""
    client, account = worker
    other = builders.family("Bravo")
    for person in (other.mother, other.father, other.child):
        builders.give_consent(person, ConsentLevel.ACROSS_SERVICES, DIRECT)
    opened(account, fam.child.public_id)
    for person in (other.mother, other.father, other.child):
        for tail in ("", "chronology/", "chronology.pdf"):
            response = client.get(f"/workspace/families/{person.public_id}/{tail}")
            assert response.status_code == 302 and response["Location"].endswith("/open/")
            assert not [s for s in other.secrets if s in response.content.decode(errors="replace")]
    read = AuditLogEntry.objects.filter(subject_id__in=[p.public_id for p in (other.mother, other.father, other.child)],
                                        action__in=[AuditEvent.RECORD_VIEWED.value, AuditEvent.RECORD_EXPORTED.value])
    assert not read.exists()  # not even read: the guard sent them to state a purpose first


def test_someone_elses_opening_and_an_expired_one_open_nothing(fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    client, _ = worker
    colleague = builders.practitioner_account("colleague")
    opened(colleague, fam.child.public_id)
    assert client.get(f"/workspace/families/{fam.child.public_id}/").status_code == 302
    FamilyOpening.objects.update(expires_at=FamilyOpening.objects.get().opened_at)
    sign_in_as(client, colleague)
    assert client.get(f"/workspace/families/{fam.child.public_id}/").status_code == 302


@pytest.mark.parametrize("role", [Role.DATA_TEAM, Role.DPO, Role.AUDITOR])
def test_other_staff_roles_cannot_use_the_workspace(fam: builders.Family, role: Role, client: CheckingClient) -> None:
    account = builders.practitioner_account(f"someone-{role.value}", role=role, purposes=[])
    sign_in_as(client, account)
    for url in ("/workspace/", f"/workspace/families/{fam.child.public_id}/",
                f"/workspace/families/{fam.child.public_id}/open/"):
        assert client.get(url).status_code == 403


def test_child_protection_without_break_glass_is_refused_with_the_route(fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    client, _ = worker
    unconsenting = builders.family("Refused")
    response = client.post(f"/workspace/families/{unconsenting.child.public_id}/open/",
                           {"purpose": Purpose.SAFEGUARDING_CHILD_PROTECTION.value, "case_reference": "CP-1"})
    assert response.status_code == 403 and "break-glass" in response.content.decode()
    results = client.get("/workspace/search/", {"purpose": Purpose.SAFEGUARDING_CHILD_PROTECTION.value,
                                                "name": "Child Refused"})
    shown = results.content.decode().split("</form>", 1)[1]  # the results, not the search box's own words
    assert "Someone matched" in shown and "break-glass" in shown and "Child Refused" not in shown


def test_any_query_to_the_search_and_the_chronology_is_a_page_or_a_clear_error(
        fam: builders.Family, worker: tuple) -> None:  # type: ignore[type-arg]
    """Bad input gets a clear error, never a traceback (Hypothesis over every parameter)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client, account = worker
    opened(account, fam.child.public_id)
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(st.sampled_from(["purpose", "name", "date_of_birth", "postcode", "nhs_number", "upn",
                                            "person", "agency", "date_from", "date_to"]), text))
    def check(params: dict[str, str]) -> None:
        for url in ("/workspace/search/", f"/workspace/families/{fam.child.public_id}/chronology/"):
            response = client.get(url, params)
            assert response.status_code in (200, 302, 400, 404), (url, params, response.status_code)

    check()

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text, text, text)
    def check_opening(purpose: str, reference: str, glass: str) -> None:
        response = client.post(f"/workspace/families/{fam.child.public_id}/open/",
                               {"purpose": purpose, "case_reference": reference, "break_glass": glass})
        assert response.status_code in (302, 400, 403), (purpose, reference, glass, response.status_code)

    check_opening()
