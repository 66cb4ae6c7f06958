"""Publishing signed tree heads: kept in the database, in the witness file and at the witness URLs."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from famlink.adapters.storage.governance.audit.append import append, append_many
from famlink.adapters.storage.governance.audit.witness import witness_file
from famlink.adapters.storage.governance.models import AuditLogPending, PublishedTreeHead
from famlink.core.audit import SignedTreeHead
from famlink.services.governance.audit.publication import publish
from tests.common.builders import facts
from tests.common.database import postgres_only, sequencer_busy
from tests.common.witness_server import closed_port_url, witness

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    append_many([facts(i) for i in range(n)])


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
    first = publish()
    log(3)
    second = publish()
    path = witness_file()
    assert path.parent.parent == data_dir  # default: in the data folder, outside the database
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    lines = path.read_bytes().splitlines()
    assert [SignedTreeHead.from_json(line) for line in lines] == [first.signed, second.signed]


@pytest.mark.usefixtures("umask")
def test_a_configured_witness_file_in_a_new_folder_is_private_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere" / "deeper" / "heads.jsonl"
    monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_FILE", str(path))
    log(2)
    publish()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and len(path.read_bytes().splitlines()) == 1


def test_witness_urls_get_each_head_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    log(3)
    with witness() as one, witness() as two:
        monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_URLS", f"{one.url}/a,{two.url}/b")
        published = publish()
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
        published = publish()
    [report] = published.witnesses
    assert not report.ok and report.url == url and report.problem
    assert PublishedTreeHead.objects.filter(size=3).exists()
    assert len(witness_file().read_bytes().splitlines()) == 1  # the file has it all the same


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_publish_waits_for_and_covers_entries_written_ahead() -> None:
    with sequencer_busy():
        for i in range(3):
            append(facts(i))
    assert AuditLogPending.objects.count() == 3
    assert publish().head.size == 3
    assert AuditLogPending.objects.count() == 0
