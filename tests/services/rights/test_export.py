"""Download everything: JSON valid against its schema, CSV a spreadsheet can open, a readable PDF."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.template.loader import render_to_string

from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.core.audit import AuditEvent
from famlink.core.errors import NotFound
from famlink.core.rights import RequestKind, RequestStatus
from famlink.services.rights import export
from famlink.services.rights.disclosure import disclose
from tests.common.export_family import linked_family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_json_export_matches_its_schema_and_holds_everything() -> None:
    fam = linked_family("Json", children=2)
    made = export.export(actor_for(fam.user), fam.user, fam.parent, "json")
    assert made.content_type.startswith("application/json") and made.filename.endswith(".json")
    document = json.loads(made.content)
    assert export.schema_problems(document) == []
    assert document["schema"] == export.export_schema()["$id"]
    people = {p["person_id"]: p for p in document["people"]}
    assert next(iter(people)) == fam.parent.public_id  # the parent first, then the children
    assert set(people) == {p.public_id for p in fam.people}
    child = people[fam.children[0].public_id]
    disputed = next(r for r in child["records"] if r["id"] == fam.disputed.pk)  # type: ignore[union-attr]
    assert disputed["disputed"] and "hospital cancelled" in disputed["statements"][0]["statement"]
    assert any(s["kind"] == "request:context" for r in child["records"] for s in r["statements"])
    assert child["links"] and child["links"][0]["explanation"]
    assert child["flags"][0]["inputs"][0]["label"] == "Missed health appointments"
    assert child["flags"][0]["based_on_disputed_records"] is True
    assert child["consents"][0]["state"] == "given" and child["consent_receipts"]
    assert people[fam.parent.public_id]["opt_outs"] == {"linkage": False, "sharing": True}
    assert [a["address"] for a in child["addresses"]] == ["1 Json Street"]  # where the records place them
    assert not child["addresses"][0]["safe_address"]
    assert {a["who"] for a in document["access_log"]} == {"practitioner-Json"}
    assert document["organisations"] and all(o["datasets"] for o in document["organisations"])
    body = made.content.decode()
    assert not [s for s in fam.secrets if s in body], "the other adult's own records never leave"


def test_the_schema_catches_a_broken_export() -> None:
    fam = linked_family("Broken", children=1)
    document = export.document(disclose(actor_for(fam.user), fam.parent))
    document["people"][0]["records"][0]["disputed"] = "maybe"
    del document["access_log"]
    problems = export.schema_problems(document)
    assert any("access_log" in p for p in problems)
    assert any(p.startswith("people/0/records/0/disputed") for p in problems)


def test_each_download_is_audited_and_logged_as_a_fulfilled_subject_access_request() -> None:
    fam = linked_family("Logged", children=1)
    before = AuditLogEntry.objects.filter(action=AuditEvent.DATA_DOWNLOADED.value).count()
    for fmt in export.FORMATS:
        export.export(actor_for(fam.user), fam.user, fam.parent, fmt)
    downloaded = AuditLogEntry.objects.filter(action=AuditEvent.DATA_DOWNLOADED.value).count() - before
    assert downloaded == len(export.FORMATS) * len(fam.people)  # one door decision per person per file
    requests = RightsRequest.objects.filter(kind=RequestKind.SUBJECT_ACCESS, requested_by=fam.user)
    assert requests.count() == 3
    assert {r.status for r in requests} == {RequestStatus.FULFILLED.value}


def test_an_unknown_format_is_not_found_and_nothing_is_logged() -> None:
    fam = linked_family("Format", children=0)
    before = AuditLogEntry.objects.count()
    with pytest.raises(NotFound, match="PDF, CSV or JSON"):
        export.export(actor_for(fam.user), fam.user, fam.parent, "xlsx")
    assert AuditLogEntry.objects.count() == before
    assert not RightsRequest.objects.filter(kind=RequestKind.SUBJECT_ACCESS).exists()


def test_the_csv_has_one_row_per_record_and_is_safe_in_a_spreadsheet() -> None:
    fam = linked_family("Csv", children=1)
    record = fam.records[0]
    record.note = "=HYPERLINK(\"http://evil.example\",\"click\")"
    record.save(update_fields=["note"])
    made = export.export(actor_for(fam.user), fam.user, fam.parent, "csv")
    assert made.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(made.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == export.CSV_COLUMNS
    shown = disclose(actor_for(fam.user), fam.parent)
    assert len(rows) == sum(len(p.records) for p in shown.people)
    assert {r["person_id"] for r in rows} == {p.public_id for p in fam.people}
    by_id = {r["record_id"]: r for r in rows}
    assert by_id[str(record.pk)]["note"].startswith("'=HYPERLINK")
    disputed = by_id[str(fam.disputed.pk)]  # type: ignore[union-attr]
    assert disputed["disputed"] == "yes" and "The hospital cancelled" in disputed["family_statements"]
    assert not [s for s in fam.secrets if s in made.content.decode()]


def test_the_pdf_is_made_from_plain_english_html_with_everything_in_it() -> None:
    fam = linked_family("Pdf", children=1)
    shown = disclose(actor_for(fam.user), fam.parent)
    html = render_to_string("rights/family_export.html", export._pdf_context(shown, fam.parent.display_name))
    for words in ("Everything we hold about your family", "Your child: Child Pdf 1", "DISPUTED",
                  "The hospital cancelled this appointment", "on the trampoline", "How records were matched",
                  "same date of birth", "Missed health appointments: 2.0", "Who has looked at your records",
                  "practitioner-Pdf", "Who holds your information", "Opted out of sharing my records between services: yes",
                  "Research and statistics, with names removed", "Did not attend", "Concerns not confirmed (unsubstantiated)"):
        assert words in html, words
    assert not [s for s in fam.secrets if s in html]
    made = export.export(actor_for(fam.user), fam.user, fam.parent, "pdf")
    assert made.content.startswith(b"%PDF-") and made.content_type == "application/pdf"
    assert len(made.content) > 5_000
