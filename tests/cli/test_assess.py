"""``famlink assess`` on synthetic data: every figure as JSON, the reports, and suspension on a fail."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from famlink.adapters.storage.registers import store
from famlink.adapters.storage.registers.models import ModelAssessment
from famlink.cli.main import cli
from famlink.core.registers.algorithms import find_algorithm
from famlink.synth import generate

importlib.import_module("famlink.cli.registers")
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(1500, 7, out)
    return out


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def test_assess_prints_every_figure_writes_reports_and_records_the_result(synth: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["assess", "early-help-v1", "--synth", str(synth), "--json", "--out", str(out), "--boot", "50"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    d = figures["discrimination"]
    assert d["auroc_ci"][0] <= d["auroc"] <= d["auroc_ci"][1]
    for key in ("ppv", "fpr", "fnr", "npv", "sensitivity", "flagged_per_true_case", "selection_rate"):
        assert key in figures["at_threshold"]
    assert {"ethnicity", "sex", "parent_age_band", "deprivation", "income_band", "family_size", "disability"} <= set(figures["by_group"])
    assert {c["metric"] for c in figures["criteria"]} >= {"auroc_ci_low", "disparity_flags"}
    assert (out / "assessment.html").is_file() and (out / "assessment.pdf").read_bytes().startswith(b"%PDF")
    row = ModelAssessment.objects.get()
    assert row.passed is figures["passed"]
    gate = store.gate_for(find_algorithm("early-help-v1"))
    assert gate.allowed is figures["passed"]  # a failed assessment suspends the model at once


def test_unknown_model_is_a_clear_error(synth: Path) -> None:
    result = CliRunner().invoke(cli, ["assess", "no-such-model", "--synth", str(synth)])
    assert result.exit_code == 2 and "no model called 'no-such-model'" in result.output
