"""The sequencer thread: requests only write ahead, and it places everything, gap-free, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from famlink.adapters.storage.governance.audit import sequencer as audit_sequencer
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import AuditLogEntry, AuditLogPending
from famlink.services.governance.audit.verification import verify
from tests.adapters.storage.governance.audit.test_append import CRASHING_WRITER
from tests.common.builders import facts
from tests.common.concurrency import at_once
from tests.common.database import ON_POSTGRES, database_url, postgres_only, sequencer_busy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_sequencer_left() -> Iterator[None]:
    yield
    audit_sequencer.stop_sequencer()  # its connection closed before the database is flushed


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def pending() -> int:
    return AuditLogPending.objects.count()


def test_on_sqlite_there_is_no_sequencer_and_every_append_places_itself() -> None:
    if ON_POSTGRES:
        pytest.skip("SQLite only")
    assert audit_sequencer.start_sequencer() is None
    assert append(facts(0)).index == 0


@postgres_only
def test_with_a_sequencer_running_an_append_is_one_insert_and_the_sequencer_places_it() -> None:
    audit_sequencer.start_sequencer()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        row = append(facts(0))
    assert row.index is None  # written ahead, no lock tried
    # the INSERT goes with the COMMIT (famlink.adapters.storage.postgresql); nothing after it either
    assert [q["sql"] for q in queries.captured_queries] == ["BEGIN", "COMMIT"]
    assert eventually(lambda: AuditLogEntry.objects.count() == 1)
    assert pending() == 0 and verify().ok


@postgres_only
def test_concurrent_writers_with_a_sequencer_keep_one_gap_free_order_and_nothing_stays_pending() -> None:
    sequencer = audit_sequencer.start_sequencer()
    assert sequencer is not None
    writers, each = 8, 25
    placed_by_requests: list[int] = []

    def write(w: int) -> None:
        for i in range(each):
            with transaction.atomic():
                row = append(facts(i, subject=f"W{w}"))
            if row.index is not None:
                placed_by_requests.append(row.index)

    at_once(writers, write)
    assert not placed_by_requests  # requests did no sequencing
    assert eventually(lambda: pending() == 0)  # the sequencer alone, no reader
    # its count moves on just after its commit (and the unlock that follows): wait for that too
    assert eventually(lambda: sequencer.placed == writers * each), sequencer.placed
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(writers * each))
    for w in range(writers):
        assert AuditLogEntry.objects.filter(subject_id=f"W{w}").count() == each
    assert verify().ok


@postgres_only
def test_stopping_the_sequencer_places_everything_committed_before() -> None:
    audit_sequencer.start_sequencer(gather=60, tick=60)  # it would not take a turn by itself during this test
    for i in range(5):
        append(facts(i))
    assert pending() == 5
    audit_sequencer.stop_sequencer()
    assert pending() == 0
    assert list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert append(facts(5)).index == 5  # no sequencer now: the append places itself


@postgres_only
def test_while_the_log_is_busy_the_sequencer_leaves_it_to_the_holder_and_looks_again_on_its_tick() -> None:
    sequencer = audit_sequencer.start_sequencer(gather=0.01, tick=0.1)
    assert sequencer is not None
    with sequencer_busy():
        append(facts(0))
        time.sleep(0.3)
        assert pending() == 1  # the holder (here another session) would look again after releasing
    assert eventually(lambda: pending() == 0, seconds=5)  # and if it does not, the tick does
    assert AuditLogEntry.objects.get().index == 0


@postgres_only
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_sequencer_is_not_relied_on() -> None:
    sequencer = audit_sequencer.start_sequencer(gather=0.01, tick=60)
    assert sequencer is not None

    def die(*_: object) -> audit_sequencer.Turn:
        raise SystemExit  # not an error it retries: the thread ends

    real = audit_sequencer._turn_on
    audit_sequencer._turn_on = die  # type: ignore[assignment]
    try:
        first = append(facts(0, subject="first"))  # written ahead, then the thread dies on waking
        assert first.index is None
        assert eventually(lambda: not sequencer.running())
    finally:
        audit_sequencer._turn_on = real
    second = append(facts(1, subject="second"))
    assert second.index == 1  # sequenced by the append itself, the pending one first
    assert pending() == 0
    assert list(AuditLogEntry.objects.order_by("index").values_list("subject_id", flat=True)) == ["first", "second"]


@postgres_only
def test_a_stalled_sequencer_is_not_relied_on() -> None:
    sequencer = audit_sequencer.start_sequencer(gather=60, tick=60)
    assert sequencer is not None and sequencer.running()
    sequencer.beat -= audit_sequencer.STALLED + 1  # as if a turn had hung
    assert not sequencer.running()
    assert append(facts(0)).index == 0
    assert audit_sequencer.start_sequencer() is not sequencer  # a new one replaces it


@postgres_only
def test_an_entry_that_needs_its_index_is_still_placed_in_its_own_transaction() -> None:
    audit_sequencer.start_sequencer()
    with transaction.atomic():
        row = append(facts(0), need_index=True)
        assert row.index == 0 and AuditLogEntry.objects.filter(pk=0).exists()


@postgres_only
def test_a_sequencer_fails_over_a_broken_connection_and_carries_on() -> None:
    sequencer = audit_sequencer.start_sequencer(gather=0.01, tick=0.05)
    assert sequencer is not None
    append(facts(0))
    assert eventually(lambda: pending() == 0)
    own = sequencer._own.connection
    assert own is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [own.info.backend_pid])
    original = audit_sequencer.AFTER_ERROR
    audit_sequencer.AFTER_ERROR = 0.05
    try:
        append(facts(1))
        assert eventually(lambda: pending() == 0)
    finally:
        audit_sequencer.AFTER_ERROR = original
    assert sequencer.running()
    assert list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True)) == [0, 1]


@postgres_only
@pytest.mark.xdist_group("subprocess")
def test_entries_left_pending_by_a_killed_process_are_placed_by_another_process_s_sequencer() -> None:
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "famlink.settings"}
    connection.close()
    with sequencer_busy():  # so the writer cannot place its entry inside its own transaction
        child = subprocess.run([sys.executable, "-c", CRASHING_WRITER], env=env, capture_output=True, text=True)
    assert child.returncode == -9, child.stderr
    assert pending() == 1
    audit_sequencer.start_sequencer(gather=0.01, tick=0.05)  # no append, no reader: its tick finds the entry
    assert eventually(lambda: pending() == 0)
    assert AuditLogEntry.objects.get().subject_id == "CRASHED"
    assert verify().ok
