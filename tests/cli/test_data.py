"""The data team's commands: one clear line on bad input, JSON that reconciles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from famlink.cli.main import cli, main  # noqa: F401  (main registers the command modules)
from tests.common.extracts import gp_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def famlink() -> Callable[..., tuple[int, str, str]]:
    import importlib

    from famlink.cli.main import COMMAND_MODULES

    for module in COMMAND_MODULES:
        importlib.import_module(module)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def test_ingest_json_reconciles_and_reruns_are_no_ops(famlink, gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    rows = [gp_row(i) for i in range(100)]
    for i in (5, 25, 45, 65, 85):
        rows[i][3] = "not a date"
    path = write_csv(rows)
    code, out, _ = famlink("ingest", "--source", str(gp_definition), str(path), "--json")
    report = json.loads(out)
    assert code == 0
    assert (report["rows_in"], report["accepted"], report["quarantined"]) == (100, 95, 5)
    code, out, _ = famlink("ingest", "--source", str(gp_definition), str(path), "--json")
    again = json.loads(out)
    assert again["already_ingested"] is True and again["accepted"] == 0


def test_bad_input_is_one_line_naming_the_file(famlink, gp_definition: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = famlink("ingest", "--source", str(gp_definition), str(empty))
    assert code == 2
    assert err.strip() == f"famlink: {empty}: the file is empty"
    assert "Traceback" not in err
    code, _, err = famlink("ingest", "--source", str(tmp_path / "nope.toml"), str(empty))
    assert code == 2 and "source definition file not found" in err


def test_status_reports_totals(famlink, gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    famlink("ingest", "--source", str(gp_definition), str(write_csv([gp_row(i) for i in range(7)])))
    code, out, _ = famlink("status", "--json")
    totals = json.loads(out)
    assert code == 0
    assert totals["sources"] == 1 and totals["records"] == 7 and totals["quarantined"] == 0


def test_synth_then_ingest_every_source_reconciles(famlink, tmp_path: Path) -> None:
    out_dir = tmp_path / "synth"
    code, out, _ = famlink("synth", "--families", "40", "--seed", "7", "--out", str(out_dir), "--json")
    assert code == 0 and json.loads(out)["families"] == 40
    definitions = sorted((out_dir / "sources").glob("*.toml"))
    assert len(definitions) >= 6
    for definition in definitions:
        extract = out_dir / "extracts" / f"{definition.stem}.csv"
        code, out, err = famlink("ingest", "--source", str(definition), str(extract), "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["rows_in"] == report["accepted"] + report["quarantined"]
        assert report["rows_in"] == sum(1 for _ in extract.open()) - 1


def test_a_ten_megabyte_first_name_is_quarantined_and_never_printed(famlink, gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    rows = [gp_row(i) for i in range(5)]
    rows[2][1] = "Secretname" * 1_048_576
    code, out, err = famlink("ingest", "--source", str(gp_definition), str(write_csv(rows)))
    assert code == 0, err[:300]
    assert "Secretname" not in out + err
    assert "5 rows read, 4 accepted, 1 quarantined" in out and "quarantined 1 for forename" in out


def test_an_ingest_that_fails_says_so_in_one_line_without_row_contents(
    famlink, gp_definition: Path, write_csv: Callable[..., Path], refusing_database: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMLINK_INGEST_BATCH", "10")
    rows = [gp_row(i) for i in range(30)]
    rows[24][2] = "Refused"
    path = write_csv(rows)
    code, _, err = famlink("ingest", "--source", str(gp_definition), str(path))
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err and "Refused" not in err
    assert err.startswith(f"famlink: {path}: the database refused data rows 21 to 30 (")
    assert "nothing from this file was kept" in err
    _, out, _ = famlink("status", "--json")
    assert json.loads(out)["extracts_loading"] == 0


def test_an_extract_sent_again_is_already_ingested(famlink, gp_definition: Path, write_csv: Callable[..., Path], tmp_path: Path) -> None:
    path = write_csv([gp_row(i) for i in range(10)], name="november.csv")
    again = tmp_path / "resent.csv"
    again.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\r\n", b"\n"))
    famlink("ingest", "--source", str(gp_definition), str(path))
    code, out, _ = famlink("ingest", "--source", str(gp_definition), str(again))
    assert code == 0
    assert out.startswith(f"{again}: already ingested as extract ")
    assert "(received as november.csv)" in out and "nothing new" in out
    code, out, _ = famlink("ingest", "--source", str(gp_definition), str(again), "--json")
    assert json.loads(out)["already_ingested"] is True


def test_an_unexpected_error_is_named_not_quoted(famlink, gp_definition: Path, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The words of an error nobody wrote for people (a database's, say) can quote a row: only its type is shown."""
    from famlink.services.sources import ingest as store

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("value too long: 'Amy Secretname'")

    monkeypatch.setattr(store, "ingest_extract", fails)
    code, _, err = famlink("ingest", "--source", str(gp_definition), str(write_csv([gp_row(1)])))
    assert code == 1
    assert err.startswith("famlink: unexpected error (RuntimeError); details in ") and "Secretname" not in err
