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
pytestmark = pytest.mark.django_db


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
