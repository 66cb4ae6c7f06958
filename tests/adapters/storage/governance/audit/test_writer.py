"""The audit writer: reads' entries committed many to a commit, gap-free, durable before the read returns."""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.audit import writer as audit_writer
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.audit.placing import placed_rows, read_pending
from famlink.adapters.storage.governance.audit.rows import ENTRY_COLUMNS, table
from famlink.adapters.storage.governance.audit.writer import AuditUnavailable, AuditWriter
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
)
from famlink.adapters.storage.sources.models import Source
from famlink.core.audit import READ_EVENTS, AuditEvent, utc_timestamp
from famlink.core.consent import ConsentLevel
from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.audit.verification import verify
from tests.common import builders
from tests.common.builders import facts, give_consent
from tests.common.concurrency import at_once
from tests.common.database import database_url, postgres_only


def with_a_database(test: Callable[..., None]) -> Callable[..., None]:
    """PostgreSQL only (the writer refuses SQLite), committed for real: the writer has its own connection."""
    return pytest.mark.django_db(transaction=True)(postgres_only(test))


@pytest.fixture
def socket_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short socket path of this test's own (a Unix socket's path must stay under ~100 characters)."""
    folder = Path(tempfile.mkdtemp(prefix="fl-", dir="/tmp"))
    monkeypatch.setenv("FAMLINK_AUDIT_WRITER_SOCKET", str(folder / "w.sock"))
    yield folder / "w.sock"
    audit_writer._forget()  # this thread's connection belongs to this test's writer
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


@contextmanager
def running_writer(path: Path) -> Iterator[AuditWriter]:
    """A writer running in a thread of the test's process, on the test database."""
    running = AuditWriter(path)
    thread = threading.Thread(target=running.serve)
    thread.start()
    assert running.wait_until_listening()
    try:
        yield running
    finally:
        running.stop()
        thread.join(10)
    assert not thread.is_alive()


@pytest.fixture
def writer(socket_path: Path) -> Iterator[AuditWriter]:
    with running_writer(socket_path) as running:
        yield running


def entries_in_log() -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.order_by("index"))


def pending_bytes(i: int, subject: str = "P1") -> bytes:
    return facts(i, subject).entry(index=0, occurred_at=utc_timestamp(timezone.now())).pending_bytes()


@with_a_database
def test_a_read_is_in_the_log_with_its_index_as_soon_as_append_returns(writer: AuditWriter) -> None:
    row = append(facts(0))
    assert row.index == 0  # placed by the writer, not left pending
    assert writer.commits == 1 and AuditLogPending.objects.count() == 0
    [stored] = entries_in_log()
    assert (stored.index, stored.subject_id, stored.action) == (0, "P1", AuditEvent.RECORD_VIEWED)
    assert verify().ok


@with_a_database
def test_the_database_places_entries_exactly_as_famlink_would_in_python(writer: AuditWriter) -> None:
    """The writer's SQL makes each entry's bytes, leaf hash and readable columns; they must equal ours."""
    sent = [pending_bytes(i, subject=f"P{i}") for i in range(3)]
    first = audit_writer.send_ahead(sent)
    assert first == 0
    readable, unreadable = read_pending([(i, data) for i, data in enumerate(sent)])
    assert unreadable == []
    expected = placed_rows(readable, first)
    stored = [tuple(row) for row in AuditLogEntry.objects.order_by("index").values_list(*ENTRY_COLUMNS)]
    assert [(*row[:1], bytes(row[1]), bytes(row[2]), *row[3:]) for row in stored] == expected


@with_a_database
def test_concurrent_reads_keep_one_gap_free_order_and_share_commits(writer: AuditWriter) -> None:
    writers, each = 8, 25
    indexes: list[int] = []

    def read(w: int) -> None:
        for i in range(each):
            row = append(facts(i, subject=f"W{w}"))
            assert row.index is not None
            indexes.append(row.index)
        audit_writer._forget()

    at_once(writers, read)
    assert sorted(indexes) == list(range(writers * each))  # every request got its own place
    log = entries_in_log()
    assert [e.index for e in log] == list(range(writers * each))
    assert writer.commits < writers * each  # some commits carried several requests' entries
    for index in indexes[:20]:  # the index a request was told holds that request's entry
        assert log[index].subject_id.startswith("W")
    assert AuditLogPending.objects.count() == 0 and verify().ok


@with_a_database
def test_entries_written_by_requests_and_by_the_writer_share_one_order(writer: AuditWriter) -> None:
    """A consent change writes its entry in its own transaction; reads go to the writer: one log, no gaps."""
    change = facts(0, subject="C")
    change = replace(change, action=AuditEvent.CONSENT_GIVEN)
    assert change.action not in READ_EVENTS
    append(facts(1))
    assert append(change, need_index=True).index == 1
    append(facts(2))
    assert [(e.index, e.action) for e in entries_in_log()] == [
        (0, "record:viewed"), (1, "consent:given"), (2, "record:viewed")]
    assert verify().ok


@with_a_database
def test_bytes_that_are_not_an_entry_are_refused_and_nothing_is_written(writer: AuditWriter) -> None:
    with pytest.raises(InvalidInput, match="refused the entries"):
        audit_writer.send_ahead([pending_bytes(0), b'{"action": "made up"}'])
    assert entries_in_log() == [] and writer.commits == 0
    assert audit_writer.send_ahead([pending_bytes(1)]) == 0  # the connection still works


@with_a_database
def test_without_a_writer_a_read_writes_its_own_entry(socket_path: Path) -> None:
    socket_path.touch()  # a leftover file where a writer once listened: nobody answers it
    row = append(facts(0))
    assert row.index == 0 and [e.index for e in entries_in_log()] == [0]


@with_a_database
def test_a_writer_that_cannot_commit_tells_the_request_to_write_its_own_entry(
    socket_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_writer, "LOCK_WAIT", "50ms")  # not 2 s
    with running_writer(socket_path) as writer:
        assert append(facts(0)).index == 0
        with psycopg.connect(database_url(), autocommit=True) as other, other.transaction():
            other.execute(f"SELECT next_index FROM {table(AuditLogCounter)} WHERE id = 1 FOR UPDATE")
            assert audit_writer.send_ahead([pending_bytes(1)]) is None  # "write it yourself"
            assert writer.commits == 1
        assert [e.index for e in entries_in_log()] == [0]  # nothing half-written
        assert append(facts(2)).index == 1  # the writer reconnects and goes on
    assert verify().ok


@with_a_database
def test_a_writer_that_vanishes_with_the_entries_fails_the_read(socket_path: Path) -> None:
    """It may or may not have committed them: the read must not go ahead unaudited."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(1)

    def take_and_vanish() -> None:
        peer, _ = listener.accept()
        peer.recv(1 << 16)
        peer.close()

    thread = threading.Thread(target=take_and_vanish)
    thread.start()
    fam = builders.family("v")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    with pytest.raises(AuditUnavailable, match="did not confirm this access"), door.open(
        staff_actor(builders.staff()), Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
        sources=Source.objects.all(),
    ):
        pass  # the read runs here; its entry must be confirmed before the door lets the caller go on
    thread.join()
    listener.close()


@with_a_database
def test_a_restarted_writer_is_found_again_without_failing_a_request(socket_path: Path) -> None:
    for expected in (0, 1):
        with running_writer(socket_path):
            assert append(facts(expected)).index == expected  # the same thread, a new writer
    assert verify().ok


@with_a_database
def test_a_read_through_the_door_is_in_the_log_before_the_door_closes(writer: AuditWriter) -> None:
    fam = builders.family("d")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    before = writer.commits
    with door.open(staff_actor(builders.staff()), Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
                   sources=Source.objects.all()) as grant:
        assert grant.decision.allow
        assert not connection.in_atomic_block  # a read holds no transaction open
    assert writer.commits == before + 1
    assert entries_in_log()[-1].subject_id == fam.child.public_id


@with_a_database
def test_the_socket_is_for_this_user_only(writer: AuditWriter, socket_path: Path) -> None:
    assert socket_path.stat().st_mode & 0o777 == 0o600


@given(st.binary(max_size=300))
def test_any_bytes_from_a_peer_are_entries_or_a_clear_refusal(body: bytes) -> None:
    """A request body the writer cannot split into entries is refused with a message, never a crash."""
    try:
        entries = audit_writer._entries_in(body)
    except InvalidInput as error:
        assert "entr" in error.text
        return
    assert entries and all(entries) and sum(4 + len(e) for e in entries) == len(body)


@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=5), st.integers(1, 7))
def test_requests_arriving_in_pieces_are_read_whole(entries: list[bytes], piece: int) -> None:
    body = b"".join(audit_writer.LENGTH.pack(len(e)) + e for e in entries)
    stream = audit_writer._framed(body) * 2  # two requests back to back
    peer = audit_writer._Peer(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    got = []
    for at in range(0, len(stream), piece):
        peer.received += stream[at : at + piece]
        while (request := peer.request()) is not None:
            got.append(audit_writer._entries_in(request))
    peer.sock.close()
    assert got == [entries, entries] and not peer.received


@with_a_database
def test_a_second_writer_at_the_same_socket_is_refused_and_the_first_goes_on(writer: AuditWriter, socket_path: Path) -> None:
    with pytest.raises(InvalidInput, match="already listening") as refused:
        AuditWriter(socket_path).serve()
    assert refused.value.where == "FAMLINK_AUDIT_WRITER_SOCKET"
    assert append(facts(0)).index == 0 and writer.commits == 1


@with_a_database
def test_a_socket_path_that_cannot_be_used_is_named_in_the_refusal() -> None:
    too_long = Path("/tmp") / ("x" * 120) / "w.sock"
    with pytest.raises(InvalidInput, match=f"cannot listen at {too_long}"):
        AuditWriter(too_long).serve()
