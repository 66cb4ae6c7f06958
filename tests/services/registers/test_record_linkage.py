"""The record-linkage model in the algorithm register: assessed against known matches, shown with its quality."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.registers.models import ModelAssessment
from famlink.core.registers.algorithms import find_algorithm
from famlink.services.linkage.run import link_records
from famlink.services.registers import exports
from famlink.services.registers.record_linkage import LINKAGE_MODEL_ID, assess_record_linkage
from tests.common.extracts import ingest_synth

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    generate(40, 5, tmp_path / "s")
    ingest_synth(tmp_path / "s")
    link_records(linkage_engine())
    return tmp_path / "s"


def test_the_linkage_model_is_assessed_and_published_with_its_measured_quality(linked: Path) -> None:
    entry = find_algorithm(LINKAGE_MODEL_ID)
    figures = assess_record_linkage(entry, linked / "truth.csv")
    h = figures["headline"]
    assert h["pairwise_precision"] >= 0.995 and h["negative_agreement_weights"] == 0
    assert figures["passed"] is all(c["passed"] for c in figures["criteria"])
    assert {c["metric"] for c in figures["criteria"]} == {c.metric for c in entry.criteria}
    assert ModelAssessment.objects.get(model_id=entry.id).headline == h

    data = exports.build("algorithms")
    jsonschema.Draft202012Validator(exports.schema("algorithms"), format_checker=jsonschema.FormatChecker()).validate(data)
    item = next(e for e in data["entries"] if e["id"] == entry.id)
    assert item["kind"] == "matching" and item["state"] == "matching" and item["may_score"] is False
    assert item["service_capacity"] is None and item["operating_threshold"] is None  # it refers nobody anywhere
    assert item["latest_assessment"]["headline"]["pairwise_precision"] == h["pairwise_precision"]
    assert item["latest_assessment"]["report_html"] is None  # figures only, no early-help style report
    card = item["model_card"]
    assert card["model_version"] == figures["model_version"]
    assert {c["name"] for c in card["comparisons"]} >= {"nhs_number", "date_of_birth"}
    report = exports.assessment_report(entry.id, ModelAssessment.objects.get(model_id=entry.id).pk)
    assert json.loads(json.dumps(report.figures))["quality"]["pairwise"]["precision"] == h["pairwise_precision"]


def test_a_failed_criterion_is_reported_failed(linked: Path, tmp_path: Path) -> None:
    """A truth file that says every record is its own person: every link the model made is then wrong."""
    lines = (linked / "truth.csv").read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("person_id")
    rows = [line.split(",") for line in lines[1:]]
    for n, row in enumerate(rows):
        row[at] = f"nobody-{n}"
    alone = tmp_path / "alone.csv"
    alone.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    figures = assess_record_linkage(find_algorithm(LINKAGE_MODEL_ID), alone)
    assert figures["passed"] is False
    failed = {c["metric"] for c in figures["criteria"] if not c["passed"]}
    assert "pairwise_precision" in failed
