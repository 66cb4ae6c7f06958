"""Download everything: the page, the three files, each logged as a subject access request."""

from __future__ import annotations

import csv
import io
import json

import pytest

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.core.rights import RequestKind
from famlink.services.rights import export
from tests.common.export_family import LinkedFamily, linked_family
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as, sign_in_family

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_data_dir")]
FILES = ("/portal/download/family.json", "/portal/download/family.csv", "/portal/download/family.pdf")


@pytest.fixture
def fam() -> LinkedFamily:
    return linked_family("Down", children=2, records_per_person=3, staff_looks=3)


def test_the_page_says_what_you_get_and_links_each_file(client: CheckingClient, fam: LinkedFamily) -> None:
    before = AuditLogEntry.objects.count()
    page = sign_in_family(client, fam).get("/portal/download/")
    assert page.status_code == 200
    assert "".join(page.page.find(".//h1").itertext()) == "Download everything"
    hrefs = [a.get("href") for a in page.page.iter("a")]
    assert all(f in hrefs for f in FILES) and "/portal/download/export.schema.json" in hrefs
    assert "subject access request" in page.content.decode()
    assert fam.parent.display_name not in page.content.decode()  # no personal data on the page itself
    assert AuditLogEntry.objects.count() == before


def test_each_file_is_an_attachment_read_through_the_door_and_logged(client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(client, fam)
    for n, url in enumerate(FILES, start=1):
        downloaded = AuditLogEntry.objects.filter(action="rights:data_downloaded")
        before = {p.public_id: downloaded.filter(subject_id=p.public_id).count() for p in fam.people}
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith('attachment; filename="famlink-family-records-')
        assert response["Cache-Control"] == "no-store"
        assert all(downloaded.filter(subject_id=p).count() == c + 1 for p, c in before.items())
        assert RightsRequest.objects.filter(kind=RequestKind.SUBJECT_ACCESS, requested_by=fam.user).count() == n
        assert not [s for s in fam.secrets if s.encode() in response.content], url
    requests = client.get("/portal/requests/")
    if requests.status_code == 200:  # the requests page belongs to the corrections section
        assert "A copy of everything we hold" in requests.content.decode()


def test_the_json_file_matches_the_published_schema(client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(client, fam)
    document = json.loads(client.get("/portal/download/family.json").content)
    assert export.schema_problems(document) == []
    schema = client.get("/portal/download/export.schema.json")
    assert schema.status_code == 200 and json.loads(schema.content)["$id"] == document["schema"]
    assert len(document["people"]) == 3


def test_the_csv_file_opens_as_a_table_of_records(client: CheckingClient, fam: LinkedFamily) -> None:
    sign_in_family(client, fam)
    response = client.get("/portal/download/family.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 9 and {r["relation"] for r in rows} == {"you", "your child"}
    assert any(r["disputed"] == "yes" for r in rows)


def test_the_pdf_file_is_a_pdf(client: CheckingClient, fam: LinkedFamily) -> None:
    response = sign_in_family(client, fam).get("/portal/download/family.pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_parent_a_cannot_download_parent_bs_family(client: CheckingClient, fam: LinkedFamily) -> None:
    other = linked_family("Bravo", children=1, records_per_person=2, staff_looks=0)
    sign_in_family(client, fam)
    for url in FILES:
        response = client.get(url, {"person": other.parent.public_id, "public_id": other.children[0].public_id})
        body = response.content
        assert other.parent.display_name.encode() not in body and other.children[0].display_name.encode() not in body
        assert other.children[0].public_id.encode() not in body
    for url in (f"/portal/download/{other.parent.public_id}.json", f"/portal/download/family.json/{other.parent.public_id}"):
        assert client.get(url).status_code == 404
    assert not RightsRequest.objects.filter(subject=other.parent).exists()


def test_only_a_verified_parent_can_download(client: CheckingClient, unverified_parent: Account, staff: Account) -> None:
    assert client.get("/portal/download/family.json").status_code == 302  # not signed in: to the sign-in page
    sign_in_as(client, unverified_parent)
    assert client.get("/portal/download/family.pdf")["Location"] == "/portal/verify/"
    sign_in_as(client, staff)
    assert client.get("/portal/download/family.csv").status_code == 403
    assert not RightsRequest.objects.exists()
