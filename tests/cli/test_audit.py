"""``famlink audit publish|verify|prove`` against the real database."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.cli.main import cli
from famlink.core.audit import AuditEvent, AuditFacts, InclusionProof, Verdict, verify_inclusion
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance.audit.publication import public_tree_heads

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
        append(AuditFacts(
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


def cut_tail(first: int, *, counter_too: bool = True) -> None:
    """What someone with the database's password does to hide entries: delete them, and every head covering them."""
    from famlink.adapters.storage.governance.models import AuditLogCounter, PublishedTreeHead

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM {AuditLogEntry._meta.db_table} WHERE "index" >= %s', [first])
        cursor.execute(f"DELETE FROM {PublishedTreeHead._meta.db_table} WHERE size > %s", [first])
        if counter_too:
            cursor.execute(f"UPDATE {AuditLogCounter._meta.db_table} SET next_index = %s", [first])


@pytest.mark.parametrize("counter_too", [True, False])
def test_cutting_the_tail_and_its_signed_head_is_caught_by_the_witness_file(counter_too: bool) -> None:
    log(40)
    assert run("audit", "publish")[0] == 0
    cut_tail(35, counter_too=counter_too)
    code, out = run("audit", "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["first_bad_index"] == 35
    assert "witness file" in report["problem"] and "from index 35 were removed" in report["problem"]
    assert report["witnessed_heads_checked"] == 0 and report["entries"] == 35


def test_verify_against_a_saved_copy_of_the_published_page(tmp_path: Path) -> None:
    from famlink.services.registers import exports
    from tests.common.witness_server import witness

    log(12)
    run("audit", "publish")
    saved = tmp_path / "my-copy-of-audit-log.json"
    saved.write_text(json.dumps(exports.audit_log()))  # what /transparency/audit-log.json serves
    code, out = run("audit", "verify", "--json", "--against", str(saved))
    assert code == 0 and json.loads(out)["ok"] is True and json.loads(out)["witnessed_heads_checked"] >= 1

    cut_tail(10)
    from famlink.adapters.storage.governance.audit.witness import witness_file

    witness_file().unlink()  # they found the witness file too: only the saved copy is left
    code, out = run("audit", "verify", "--json", "--against", str(saved))
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["first_bad_index"] == 10
    assert str(saved) in report["problem"] and "from index 10 were removed" in report["problem"]
    with witness() as server:
        server.body = saved.read_bytes()
        code, out = run("audit", "verify", "--json", "--against", server.url + "/transparency/audit-log.json")
    report = json.loads(out)
    assert code == 1 and "/transparency/audit-log.json" in report["problem"] and report["first_bad_index"] == 10


def test_verify_against_something_that_is_not_a_saved_head_is_a_clear_error(tmp_path: Path) -> None:
    log(3)
    run("audit", "publish")
    junk = tmp_path / "notes.txt"
    junk.write_text("my shopping list\n")
    code, out = run("audit", "verify", "--against", str(junk))
    assert code == 2 and str(junk) in out and "Traceback" not in out
    code, out = run("audit", "verify", "--against", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in out and "Traceback" not in out


def test_publish_reports_a_witness_url_that_failed_but_keeps_the_head(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.common.witness_server import closed_port_url, witness

    log(5)
    with witness() as good:
        broken = closed_port_url()
        monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_URLS", f"{good.url}/heads {broken}")
        code, out = run("audit", "publish", "--json")
    report = json.loads(out)
    assert code == 1  # not swallowed
    assert json.loads(good.received[0])["tree_head"]["size"] == 5
    assert [w["ok"] for w in report["witnesses"]] == [True, False] and broken in report["witnesses"][1]["url"]
    assert public_tree_heads()[-1]["tree_head"]["size"] == 5  # the publish was not undone
    code, out = run("audit", "publish")
    assert code == 1 and broken in out and "not sent" in out.lower()


def test_an_auditor_proves_a_persons_part_in_a_linkage_run_and_a_tampered_leaf_fails(data_dir: Path) -> None:
    from tests.common import builders

    family = builders.family("Cli")
    run_ = builders.committed_run()
    code, out = run("audit", "prove-run", family.child.public_id, str(run_.pk), "--json")
    assert code == 2 and "no tree head has been published" in out
    run("audit", "publish")
    code, out = run("audit", "prove-run", family.child.public_id, str(run_.pk), "--json")
    assert code == 0
    proof = json.loads(out)
    assert json.loads(proof["leaf"])["records_joined"] == 2
    saved = data_dir / "proof.json"
    saved.write_text(json.dumps(proof))
    key = data_dir / "audit-signing-key.pub.pem"  # as published on the transparency pages
    code, out = run("audit", "check-proof", str(saved), "--key", str(key))
    assert code == 0 and out.startswith(f"ok: run {run_.pk}'s entry for {family.child.public_id}")

    proof["leaf"] = proof["leaf"].replace('"records_joined":2', '"records_joined":3')
    saved.write_text(json.dumps(proof))
    code, out = run("audit", "check-proof", str(saved), "--key", str(key), "--json")
    assert code == 1 and json.loads(out)["ok"] is False and "changed" in json.loads(out)["problem"]
    saved.write_text("{not json")
    code, out = run("audit", "check-proof", str(saved))
    assert code == 2 and "not a readable JSON proof" in out

    code, out = run("audit", "prove", "0", "--json")  # an entry's proof is checked by the same command
    saved.write_text(out)
    assert run("audit", "check-proof", str(saved))[0] == 0


def test_verify_runs_finds_a_leaf_changed_in_the_database() -> None:
    from famlink.adapters.storage.linkage.models import RunLogLeaf
    from tests.common import builders

    builders.family("Runs")
    run_ = builders.committed_run()
    code, out = run("audit", "verify-runs", "--json")
    assert code == 0 and json.loads(out) == [{"run": run_.pk, "persons": 3, "ok": True, "problem": None}]
    row = RunLogLeaf.objects.filter(run=run_).order_by("position")[1]
    RunLogLeaf.objects.filter(pk=row.pk).update(leaf=bytes(row.leaf).replace(b'"records_joined":', b'"records_joined":7'))
    code, out = run("audit", "verify-runs", str(run_.pk))
    assert code == 1 and f"NOT OK: run {run_.pk}: leaf 1 was changed after the run committed to it" in out
    RunLogLeaf.objects.filter(pk=row.pk).delete()
    code, out = run("audit", "verify-runs")
    assert code == 1 and "leaf 1 is missing" in out
    assert run("audit", "verify-runs", "999")[0] == 2  # no such run: a clear message, not a traceback
