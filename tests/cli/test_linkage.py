"""``famlink link --incremental``: the flag, its refusals and its JSON."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from famlink.cli.main import cli

importlib.import_module("famlink.cli.linkage")
importlib.import_module("famlink.cli.data")
importlib.import_module("famlink.cli.registers")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("linkage_without_consent")]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_incremental_link_lists_merges_and_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    root = tmp_path / "s"
    generate(12, 7, root)
    names = sorted(p.stem for p in (root / "extracts").glob("*.csv"))

    def ingest(name: str) -> None:
        code, _, err = run("ingest", "--source", str(root / "sources" / f"{name}.toml"),
                           str(root / "extracts" / f"{name}.csv"), "--json")
        assert code == 0, err

    for name in names[:-1]:
        ingest(name)
    code, _, err = run("link", "--incremental")
    assert code == 2 and "famlink link" in err and "Traceback" not in err  # nothing to add to yet
    code, out, _ = run("link", "--json")
    assert code == 0 and json.loads(out)["mode"] == "full"
    ingest(names[-1])
    code, out, _ = run("link", "--incremental", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["mode"] == "incremental"
    assert summary["counts"]["records_new"] > 0 and summary["splits"] == []
    assert isinstance(summary["merges"], list)
    assert all({"person__public_id", "before", "after"} <= set(e) for e in summary["merges"])
    code, _, err = run("link", "--incremental", "--retrain")
    assert code == 2 and "--retrain" in err
    code, out, _ = run("link", "--incremental")
    assert code == 0 and "Incremental run" in out and "0 new records" in out
    assert "in the audit log as entry" in out  # every run, even one adding nothing, is in the log


def test_linkage_model_prints_the_model_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run("linkage", "model")
    assert code != 0 and "famlink link" in err and "Traceback" not in err  # nothing trained yet
    root = tmp_path / "s"
    generate(12, 7, root)
    for source in sorted((root / "sources").glob("*.toml")):
        code, _, err = run("ingest", "--source", str(source), str(root / "extracts" / f"{source.stem}.csv"), "--json")
        assert code == 0, err
    code, _, err = run("link", "--retrain", "--json")
    assert code == 0, err
    code, out, err = run("linkage", "model", "--json")
    assert code == 0, err
    card = json.loads(out)
    nhs = next(c for c in card["comparisons"] if c["name"] == "nhs_number")
    agreeing = next(lv for lv in nhs["levels"] if lv["label"] == "same NHS number, with name or date of birth agreeing")
    assert agreeing["match_weight"] > 0 and agreeing["m"] > agreeing["u"]
    assert card["training"]["records"] > 0 and card["training"]["trained_on"]
    code, out, err = run("linkage", "model")
    assert code == 0, err
    assert "same NHS number, with name or date of birth agreeing" in out and "trained" in out
    code, out, err = run("assess", "record-linkage-v1", "--synth", str(root))
    assert code == 0, err
    assert out.startswith("record-linkage-v1: ") and "pairwise_precision >= 0.995" in out
    assert "negative_agreement_weights <= 0: 0.0000" in out and "Traceback" not in out
    code, out, err = run("registers", "algorithms")
    listed = next(e for e in json.loads(out)["entries"] if e["id"] == "record-linkage-v1")
    assert listed["latest_assessment"] is not None and listed["model_card"]["model_version"] == card["model_version"]
