"""``famlink audit publish|verify|prove`` against the real database."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from famlink.adapters.storage.governance import audit_log
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.cli.main import cli
from famlink.core.audit import AuditEvent, InclusionProof, Verdict, verify_inclusion
from famlink.core.taxonomy import DataCategory, Purpose

importlib.import_module("famlink.cli.audit")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def log(n: int) -> None:
    for i in range(n):
        audit_log.append(audit_log.AuditFacts(
            actor_id=f"staff-{i}", actor_role="practitioner", organisation="Org",
            purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id=f"P{i % 4}", data_categories=(DataCategory.HEALTH,),
            action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW, reasons=("consent_sufficient",)))


def test_verify_publish_tamper_and_prove(data_dir: Path) -> None:
    log(30)
    code, out = run("audit", "publish", "--json")
    assert code == 0 and json.loads(out)["tree_head"]["size"] == 30
    assert (data_dir / "audit-signing-key.pem").exists()
    code, out = run("audit", "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["entries"] == 30 and report["tree_heads_checked"] == 1

    code, out = run("audit", "prove", "17", "--json")
    found = json.loads(out)
    proof = InclusionProof.from_dict(found["proof"])
    root = bytes.fromhex(found["signed_tree_head"]["tree_head"]["root_hash"])
    assert code == 0 and verify_inclusion(proof.leaf_hash, 17, 30, proof.audit_path, root)
    assert json.loads(found["entry"])["index"] == 17

    table = AuditLogEntry._meta.db_table
    with connection.cursor() as cursor:  # someone edits one row directly in the database
        cursor.execute(f'UPDATE {table} SET actor_id = %s WHERE "index" = 11', ["someone-else"])
    code, out = run("audit", "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["first_bad_index"] == 11
    assert "entry 11" in report["problem"]
    code, out = run("audit", "verify")
    assert "NOT OK" in out and "entry 11" in out


def test_prove_without_a_head_is_a_clear_error() -> None:
    log(2)
    code, out = run("audit", "prove", "0")
    assert code == 2 and "no tree head has been published" in out


def test_the_audit_writer_refuses_to_run_on_sqlite_with_a_clear_message() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL it runs: tests/test_gunicorn_conf.py starts it as famlink serve does")
    code, output = run("audit", "writer", "--socket", "/tmp/famlink-never.sock")
    assert code != 0
    assert "needs PostgreSQL" in output and "Traceback" not in output
