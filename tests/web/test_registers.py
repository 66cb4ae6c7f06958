"""The registers and audit-log tree heads answer without sign-in, as checked pages, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest
from django.utils import timezone

from famlink.adapters.storage.registers import store
from famlink.core.registers import load_algorithms
from famlink.services.registers import exports

pytestmark = pytest.mark.django_db

PAGES = {
    "/registers/algorithms": "algorithms",
    "/registers/contractors": "contractors",
    "/transparency/audit-log": "audit-log",
}


@pytest.mark.parametrize("path", PAGES)
def test_public_page_answers_without_sign_in(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response.page.find(".//h1") is not None  # checked: one h1, title starts with it


@pytest.mark.parametrize("path", PAGES)
def test_json_sibling_validates_against_its_published_schema(client, path: str) -> None:  # type: ignore[no-untyped-def]
    name = PAGES[path]
    data = json.loads(client.get(f"{path}.json").content)
    schema = json.loads(client.get(f"/registers/schemas/{name}.schema.json").content)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


@pytest.mark.parametrize("path", PAGES)
def test_csv_sibling(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{path}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].split(",")[0] == exports.CSV_COLUMNS[PAGES[path]][0]


def test_unknown_format_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/registers/algorithms.xml").status_code == 404


def test_algorithm_page_shows_a_suspended_model_and_its_failed_assessment(client) -> None:  # type: ignore[no-untyped-def]
    entry = next(e for e in load_algorithms() if e.id == "early-help-v1")
    row = store.record_assessment({"model_id": entry.id, "ran_at": timezone.now().isoformat(), "passed": False,
                                   "criteria_sha256": entry.criteria_sha256, "headline": {"auroc": 0.66}})
    text = client.get("/registers/algorithms").content.decode()
    assert "Not in use: scores nobody" in text and "Failed" in text
    data = json.loads(client.get("/registers/algorithms.json").content)
    item = data["entries"][0]
    assert item["state"] == "suspended" and item["latest_assessment"]["passed"] is False
    assert item["latest_assessment"]["report_json"].endswith(f"/{row.pk}.json")


def test_the_audit_log_page_carries_a_consistency_proof_for_each_later_head(client) -> None:  # type: ignore[no-untyped-def]
    from famlink.adapters.storage.governance.audit.append import append_many
    from famlink.core.audit import ConsistencyProof
    from famlink.services.governance.audit.publication import publish
    from tests.common.builders import facts

    for count in (3, 14):
        append_many([facts(i) for i in range(count)])
        publish()
    data = json.loads(client.get("/transparency/audit-log.json").content)
    schema = json.loads(client.get("/registers/schemas/audit-log.schema.json").content)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    first, second = data["tree_heads"]
    assert first["consistency_with_previous"] is None
    proof = ConsistencyProof.from_dict(second["consistency_with_previous"])
    assert (proof.old_size, proof.new_size) == (3, 17)
    assert proof.verify(bytes.fromhex(first["tree_head"]["root_hash"]), bytes.fromhex(second["tree_head"]["root_hash"]))


def test_algorithm_page_lists_the_linkage_model_with_its_measured_quality(client) -> None:  # type: ignore[no-untyped-def]
    entry = next(e for e in load_algorithms() if e.id == "record-linkage-v1")
    store.record_assessment({"kind": "matching", "model_id": entry.id, "ran_at": timezone.now().isoformat(),
                             "passed": True, "criteria_sha256": entry.criteria_sha256,
                             "headline": {"pairwise_precision": 0.99812, "pairwise_recall": 0.99431}})
    page = client.get("/registers/algorithms").content.decode()
    section = page[page.index(entry.name):]
    assert "In use: matches records, flags nobody" in section
    assert "0.9981" in section and "0.9943" in section and "Figures (JSON)" in section
    assert "Service and places" not in section  # it refers nobody anywhere


def test_the_register_downloads_say_the_configured_consent_model(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same configuration the policy decides by (issue 16): JSON and CSV, not only the page."""
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", "service.record_linkage=statutory:Children Act 1989 s.17")
    data = json.loads(client.get("/registers/algorithms.json").content)
    schema = json.loads(client.get("/registers/schemas/algorithms.schema.json").content)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    linkage = next(m for m in data["consent_models"] if m["purpose"] == "service.record_linkage")
    assert linkage == {"purpose": "service.record_linkage", "model": "statutory", "lawful_basis": "Children Act 1989 s.17"}
    assert next(e for e in data["entries"] if e["id"] == "record-linkage-v1")["consent_model"] == "statutory"
    rows = csv.DictReader(io.StringIO(client.get("/registers/algorithms.csv").content.decode()))
    assert {row["id"]: row["consent_model"] for row in rows}["record-linkage-v1"] == "statutory"
    monkeypatch.delenv("FAMLINK_CONSENT_MODELS")
    data = json.loads(client.get("/registers/algorithms.json").content)
    assert next(e for e in data["entries"] if e["id"] == "record-linkage-v1")["consent_model"] == "consent"  # the default
