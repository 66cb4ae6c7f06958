"""``famlink backup`` and ``famlink restore``: one file out, the database back, the audit log's check reported."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from famlink.adapters.storage.family.models import Person
from famlink.cli.main import cli
from famlink.core.errors import InvalidInput
from famlink.services.governance.audit.publication import publish
from tests.common.backup import holdings, populated, read_records

importlib.import_module("famlink.cli.backup")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def run(*args: str, answer: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=answer)
    return result.exit_code, result.stdout, result.stderr


def test_backup_then_restore_asks_first_and_reports_the_audit_log(tmp_path: Path) -> None:
    fam = populated()
    before = holdings()
    out = tmp_path / "famlink.backup"
    code, said, _ = run("backup", "--out", str(out))
    assert code == 0 and f"to {out}" in said and "an audit log of 2 entries" in said
    Person.objects.filter(pk=fam.mother.pk).update(display_name="Changed after the backup")

    code, said, _ = run("restore", str(out), answer="n\n")
    assert code == 1 and "It replaces everything in the" in said and "Nothing was changed." in said
    assert holdings() != before

    code, said, _ = run("restore", str(out), answer="y\n")
    assert code == 0, said
    assert f"Restored {out}" in said and "Audit log: ok: 2 entries, 1 signed tree heads checked" in said
    assert holdings() == before


def test_a_restore_that_loses_signed_entries_says_so_and_fails(tmp_path: Path) -> None:
    fam = populated()
    out = tmp_path / "famlink.backup"
    assert run("backup", "--out", str(out), "--json")[0] == 0
    read_records(fam)
    publish()
    code, said, _ = run("restore", str(out), "--yes")
    assert code == 1
    assert "NOT OK: the restored audit log holds 2 entries, but a tree head signed at" in said
    # The witness file outside the database still holds the lost head: the
    # log check itself fails, and no new head may contradict the old one.
    assert "Audit log: NOT OK: the log has 2 entries but the tree head signed at" in said
    assert "kept in the witness file" in said
    read_records(fam)
    with pytest.raises(InvalidInput, match="move it aside and publish again"):
        publish()
    code, said, _ = run("restore", str(out), "--yes", "--json")
    report = json.loads(said)
    assert code == 1 and report["ok"] is False and report["audit_check"]["ok"] is False
    assert report["audit_check"]["entries"] == 2 and report["problems"]


def test_a_file_that_is_not_a_backup_is_one_line_naming_it(tmp_path: Path) -> None:
    populated()
    before = holdings()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup")
    code, said, err = run("restore", str(notes), "--yes")
    assert code == 2 and said == ""
    assert err == f"famlink: {notes}: this is not a famlink backup\n"
    assert holdings() == before
