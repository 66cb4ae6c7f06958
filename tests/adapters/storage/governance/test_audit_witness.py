"""Signed tree heads kept outside the database: the witness file, witness URLs, saved copies."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from famlink.adapters.storage.governance import audit_log, audit_witness
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditTreeTile,
    PublishedTreeHead,
)
from famlink.core.audit import SignedTreeHead
from famlink.core.errors import InvalidInput
from tests.common.builders import facts
from tests.common.witness_server import closed_port_url, witness

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    audit_log.append_many([facts(i) for i in range(n)])


@pytest.fixture
def umask() -> Iterator[None]:
    """The most careless umask there is: nothing masked."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
def test_publish_appends_each_head_to_a_private_witness_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAMLINK_AUDIT_WITNESS_FILE")  # the default place
    log(4)
    first = audit_log.publish()
    log(3)
    second = audit_log.publish()
    path = audit_witness.witness_file()
    assert path.parent.parent == data_dir  # default: in the data folder, outside the database
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    lines = path.read_bytes().splitlines()
    assert [SignedTreeHead.from_json(line) for line in lines] == [first.signed, second.signed]


@pytest.mark.usefixtures("umask")
def test_a_configured_witness_file_in_a_new_folder_is_private_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere" / "deeper" / "heads.jsonl"
    monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_FILE", str(path))
    log(2)
    audit_log.publish()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and len(path.read_bytes().splitlines()) == 1


def test_witness_urls_get_each_head_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    log(3)
    with witness() as one, witness() as two:
        monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_URLS", f"{one.url}/a,{two.url}/b")
        published = audit_log.publish()
    assert all(report.ok for report in published.witnesses)
    for server in (one, two):
        assert SignedTreeHead.from_json(server.received[0]) == published.signed
        assert server.content_types[0] == "application/json"


@pytest.mark.parametrize("failure", ["refused", "nobody listening", "not a url"])
def test_a_witness_url_that_fails_is_reported_and_the_head_stays_published(
    failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log(3)
    with witness() as server:
        server.status = 500
        url = {"refused": server.url, "nobody listening": closed_port_url(), "not a url": "ftp://example/heads"}[failure]
        monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_URLS", url)
        monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_TIMEOUT", "2")
        published = audit_log.publish()
    [report] = published.witnesses
    assert not report.ok and report.url == url and report.problem
    assert PublishedTreeHead.objects.filter(size=3).exists()
    assert len(audit_witness.witness_file().read_bytes().splitlines()) == 1  # the file has it all the same


def test_verify_checks_the_log_against_every_witnessed_head() -> None:
    log(20)
    audit_log.publish()
    log(5)
    audit_log.publish()
    assert audit_log.verify().ok and audit_log.verify().witnessed_heads_checked == 2
    with connection.cursor() as cursor:  # cut the tail, its heads and the counter
        cursor.execute(f'DELETE FROM {AuditLogEntry._meta.db_table} WHERE "index" >= 22')
        cursor.execute(f"DELETE FROM {PublishedTreeHead._meta.db_table} WHERE size = 25")
        cursor.execute(f"UPDATE {AuditLogCounter._meta.db_table} SET next_index = 22")
    check = audit_log.verify()
    assert not check.ok and check.first_bad_index == 22
    assert "witness file" in (check.problem or "") and "says it had 25" in (check.problem or "")


def test_a_log_rewritten_under_a_witnessed_head_is_caught() -> None:
    log(10)
    audit_log.publish()
    PublishedTreeHead.objects.all().delete()
    AuditLogEntry.objects.all().delete()
    AuditLogCounter.objects.all().delete()
    AuditTreeTile.objects.all().delete()
    log(12)  # a different history, hashes, tree and all: only the witness file is left
    check = audit_log.verify()
    assert not check.ok and "witness file" in (check.problem or "") and "do not match" in (check.problem or "")


def test_a_witnessed_head_deleted_from_the_database_is_caught_even_if_the_log_is_whole() -> None:
    log(6)
    audit_log.publish()
    PublishedTreeHead.objects.all().delete()
    check = audit_log.verify()
    assert not check.ok and "no longer in the database" in (check.problem or "")


@pytest.mark.parametrize("edit", ["garbage", "forged"])
def test_an_edited_witness_file_is_named(edit: str) -> None:
    log(6)
    audit_log.publish()
    path = audit_witness.witness_file()
    line = json.loads(path.read_text())
    if edit == "garbage":
        path.write_text(path.read_text() + "{not json\n")
    else:
        line["tree_head"]["size"] = 5
        path.write_text(path.read_text() + json.dumps(line) + "\n")
    check = audit_log.verify()
    assert not check.ok and "line 2" in (check.problem or "") and str(path) in (check.problem or "")


def test_saved_heads_are_read_from_a_file_or_a_url(tmp_path: Path) -> None:
    log(3)
    signed = audit_log.publish().signed
    forms = {
        "the register": json.dumps({"register": "audit-log", "tree_heads": [json.loads(signed.to_json())]}),
        "one head": signed.to_json(),
        "lines": signed.to_json() + "\n" + signed.to_json() + "\n",
    }
    for name, text in forms.items():
        saved = tmp_path / f"{name}.json"
        saved.write_text(text)
        assert {head.signed for head in audit_witness.saved_heads(str(saved))} == {signed}
    with witness() as server:
        server.body = forms["the register"].encode()
        assert [head.signed for head in audit_witness.saved_heads(server.url + "/x.json")] == [signed]
        with pytest.raises(InvalidInput, match="404"):
            server.body = b""
            audit_witness.saved_heads(server.url + "/x.json")
    with pytest.raises(InvalidInput, match="nothing"):
        audit_witness.saved_heads(closed_port_url())
