"""The audit log's sequencer: gives committed pending entries their places, one turn at a time.

An append writes its entry *pending* (``AuditLogPending``: its canonical
bytes without an index) in the caller's transaction (``append``), so the
access and its entry commit or vanish together, and concurrent requests take
no common lock: their commits flush in parallel. The *sequencer* then gives
committed pending entries their places: under the log's lock (a PostgreSQL
advisory lock; SQLite's IMMEDIATE transactions already serialise writers) it
numbers them from the counter in ``id`` order, hashes them and moves them
into ``AuditLogEntry`` in one transaction (``placing``), so indexes are
gap-free and every leaf hash is in index order.

Who sequences. In a process running a *sequencer thread* (``start_sequencer``:
each web worker starts one), an append only writes its pending row (on
PostgreSQL sent with the COMMIT, one round trip for both) and, after commit,
wakes the thread (no round trip); the thread places everything pending in
batches, on its own connection. Elsewhere (commands, tests, SQLite, or a
process whose sequencer died or stalled) the append itself sequences if the
lock is free (then its entry comes back with its index); otherwise, after the
transaction commits, whoever holds the lock does, who looks again for pending
entries after releasing it. Every holder of the lock looks again after
releasing it, so nothing committed while it held the lock is left behind.
Every reader of the log (publish, verify, prove, the public pages) sequences
first. An entry can only stay pending if its process dies between commit and
sequencing (or the transaction that held the lock rolled back); the next
append, reader or sequencer tick (any process's) then sequences it. It is
never lost: it was committed with its access.

Reads (``READ_EVENTS``) are the exception: they change nothing to commit
with, so where an *audit writer* listens (``writer``; ``famlink serve``
starts one on PostgreSQL) their entries go to it instead, and it places the
entries of many requests in one commit before answering (``writer.place_ahead``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection, transaction

from famlink.adapters.storage.governance.audit.placing import (
    LOG_LOCK,
    place_pending,
    placed_rows,
    read_pending,
    take_log,
)
from famlink.adapters.storage.governance.audit.rows import (
    CHUNK,
    ENTRY_COLUMNS,
    OwnConnection,
    on_postgres,
    table,
)
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
)

log = logging.getLogger(__name__)


#: What ``_lock_if_pending`` found: nothing pending, the lock held by someone else, or the lock now ours.
NOTHING, BUSY, LOCKED = "nothing", "busy", "locked"


def _lock_if_pending(excluding: list[int]) -> str:
    """If anything is pending, take the log's lock for this connection (across transactions) if it is free.

    One round trip on PostgreSQL. Returns NOTHING, BUSY or LOCKED.
    """
    if not on_postgres():
        return LOCKED if AuditLogPending.objects.exclude(id__in=excluding).exists() else NOTHING
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_IF_PENDING.format(pending=table(AuditLogPending)), [LOG_LOCK, excluding])
        found = cursor.fetchone()
    return NOTHING if found is None else LOCKED if found[0] else BUSY


# ORDER BY id walks the primary key, which skips the rows placed (deleted) so far;
# a heap scan would step over every one of them until vacuum.
_LOCK_IF_PENDING = (
    "SELECT pg_try_advisory_lock(%s) FROM (SELECT id FROM {pending} WHERE NOT (id = ANY(%s)) ORDER BY id LIMIT 1) AS w"
)


def _without_waiting_for_disk() -> None:
    """Commit this placing transaction without waiting for its WAL flush (PostgreSQL).

    Safe because placing is redone if lost: the pending rows were committed
    durably with their accesses, and a crash that loses this commit loses it
    whole, so they are simply pending again. Nothing durable can depend on a
    lost placement: a signed tree head's (synchronous) commit flushes all WAL
    before it, and entries whose index is recorded (``need_index``) are
    placed inside their own synchronous transaction. The request that runs
    this after its commit then waits for one flush, not two.
    """
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _release_session_lock() -> None:
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOG_LOCK])


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn as sequencer: what it found (NOTHING, BUSY or LOCKED) and, if it held the lock, what it did."""

    found: str
    placed: int = 0
    unreadable: tuple[int, ...] = ()


def _take_turn(unreadable: list[int] | tuple[int, ...]) -> Turn:
    """One turn as sequencer, outside any transaction: if anything is pending and the lock is free, place it all.

    ``unreadable`` are pending rows known not to be entries, not worth the
    lock. A caller whose turn held the lock (``LOCKED``) must look again
    afterwards; see the module's docstring.
    """
    found = _lock_if_pending(list(unreadable))
    if found != LOCKED:
        return Turn(found, unreadable=tuple(unreadable))
    try:
        with transaction.atomic():
            _without_waiting_for_disk()
            placed, _, left = place_pending()
    finally:
        _release_session_lock()
    return Turn(found, placed, tuple(left))


def sequence_pending(*, wait: bool = False) -> int:
    """Give every committed pending entry its place in the log; returns how many were placed.

    Without ``wait`` it returns at once when someone else holds the log's
    lock: the holder looks again for pending entries after releasing it, so
    nothing committed before then is left behind. Readers pass ``wait=True``
    so that what they read includes every entry committed before they began.
    Inside an outer transaction (a test, or a caller's) it places what it can
    see under a transaction-scoped lock instead.
    """
    if connection.in_atomic_block or wait:
        with transaction.atomic():
            if not take_log(wait=wait):
                return 0
            placed, _, _ = place_pending()
        return placed
    total = 0
    unreadable: tuple[int, ...] = ()
    while (turn := _take_turn(unreadable)).found == LOCKED:  # after releasing the lock, look again
        total += turn.placed
        unreadable = turn.unreadable
    return total


#: How long the sequencer lets commits gather before a turn, so that one turn places many (seconds).
GATHER = 0.05
#: How often the sequencer looks for pending entries when nothing wakes it (seconds): entries left
#: pending by a process that died, in this process or another, are placed within this long.
TICK = 0.2
#: A sequencer that has not come round its loop for this long is not relied on (seconds).
STALLED = 10.0
#: How long the sequencer waits after a failed turn (the database gone away) before the next one.
AFTER_ERROR = 1.0


#: PostgreSQL: one statement for any number of placed entries (a column an array), sent in binary.
_UNNEST_TYPES = ("bigint", "bytea", "bytea", "text", "text", "text", "text", "text", "text", "text", "timestamptz")


def _turn_on(own: psycopg.Connection[Any], unreadable: tuple[int, ...]) -> Turn:
    """``_take_turn`` on the sequencer's own connection, in three round trips.

    Look and lock; then, pipelined, begin, read the counter and take the
    pending rows; then, pipelined, move the counter, insert the placed
    entries, put back unreadable rows, commit and release the lock. If any
    of it fails the caller closes the connection, which rolls back and
    releases the lock.
    """
    tables = {model: table(model) for model in (AuditLogPending, AuditLogEntry, AuditLogCounter)}
    found = own.execute(_LOCK_IF_PENDING.format(pending=tables[AuditLogPending]), [LOG_LOCK, list(unreadable)]).fetchone()
    if found is None or not found[0]:
        return Turn(NOTHING if found is None else BUSY, unreadable=unreadable)
    with own.pipeline():
        own.execute("BEGIN")
        counter = own.execute(f"SELECT next_index FROM {tables[AuditLogCounter]} WHERE id = 1 FOR UPDATE")
        taken = own.execute(
            f"DELETE FROM {tables[AuditLogPending]} WHERE id IN "
            f"(SELECT id FROM {tables[AuditLogPending]} ORDER BY id LIMIT {CHUNK}) RETURNING id, facts"
        )
        first = counter.fetchone()
        readable, bad = read_pending(taken.fetchall())
        rows = placed_rows(readable, 0 if first is None else int(first[0]))
        own.execute(
            f"INSERT INTO {tables[AuditLogCounter]} (id, next_index) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET next_index = EXCLUDED.next_index",
            [(0 if first is None else int(first[0])) + len(rows)],
        )
        if rows:
            columns = ", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS)
            arrays = ", ".join(f"%s::{kind}[]" for kind in _UNNEST_TYPES)
            own.execute(
                f"INSERT INTO {tables[AuditLogEntry]} ({columns}) SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*rows, strict=True)], binary=True,
            )
        if bad:
            own.execute(
                f"INSERT INTO {tables[AuditLogPending]} (id, facts) SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
                [[row_id for row_id, _ in bad], [facts for _, facts in bad]], binary=True,
            )
        own.execute("COMMIT")
        own.execute("SELECT pg_advisory_unlock(%s)", [LOG_LOCK])
    return Turn(LOCKED, len(rows), tuple(row_id for row_id, _ in bad))


class Sequencer:
    """A thread that places this process's pending entries, so its requests do no sequencing themselves.

    While it runs, an append only writes its pending row and, after commit,
    wakes the thread (a ``threading.Event``, no round trip). The thread lets
    commits gather for ``GATHER``, then takes one turn on its own connection:
    if anything is pending and the log's lock is free, it places everything
    pending (every process's, not only its own) in one transaction. After a
    turn in which it held the lock it looks again, so nothing committed while
    it held the lock is left behind; if the lock was busy, its holder looks
    again. It also looks every ``TICK`` without being woken, which places
    entries left pending by a process that died. Stopping it takes a last
    turn that waits for nothing: every entry committed before ``stop`` is then
    placed, or its placing is in the hands of whoever holds the lock.

    Start it with ``start_sequencer()`` in long-lived processes (a web worker,
    the append bench); without one (commands, tests, SQLite) each append
    sequences as before. A sequencer that died or stalled is not relied on:
    ``append.append_many`` sequences in the request again (``running``).
    """

    def __init__(self, *, gather: float = GATHER, tick: float = TICK) -> None:
        self.gather, self.tick = gather, tick
        self.pid = os.getpid()
        self.beat = time.monotonic()
        self.turns = 0
        self.placed = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._own = OwnConnection()
        self._thread = threading.Thread(target=self._run, name="famlink-audit-sequencer", daemon=True)

    def start(self) -> Sequencer:
        self._thread.start()
        return self

    def running(self) -> bool:
        """Can appends rely on this thread to place what they commit (this process, alive, not stalled)?"""
        return (
            self.pid == os.getpid()
            and self._thread.is_alive()
            and not self._stop.is_set()
            and time.monotonic() - self.beat < STALLED
        )

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after a last turn that places everything committed so far; wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _turn(self, unreadable: tuple[int, ...]) -> Turn:
        try:
            turn = _turn_on(self._own.get(), unreadable)
        except Exception:  # the database went away, say: the next turn starts on a new connection
            log.warning("the audit sequencer's turn failed; retrying", exc_info=True)
            self._close()
            self._stop.wait(AFTER_ERROR)
            return Turn(BUSY, unreadable=unreadable)
        self.turns += 1
        self.placed += turn.placed
        return turn

    def _close(self) -> None:
        """Close its connection: a transaction it was in rolls back, and the log's lock is released."""
        self._own.close()

    def _run(self) -> None:
        turn = Turn(NOTHING)
        try:
            while not self._stop.is_set():
                self.beat = time.monotonic()
                if turn.found == NOTHING:
                    self._wake.wait(self.tick)  # a commit wakes it; otherwise it looks on the tick
                elif turn.found == BUSY:
                    # another sequencer holds the lock and looks again after releasing it: leave this
                    # process's entries to it, and look on the tick in case it died before looking
                    self._stop.wait(self.tick)
                # after LOCKED: look again (after gathering), see the module's docstring
                if self._stop.wait(self.gather):  # let more commits gather into this turn
                    break
                self._wake.clear()
                turn = self._turn(turn.unreadable)
            # the last turns: look again until nothing is left, or the lock's holder will look
            while (turn := self._turn(turn.unreadable)).found == LOCKED:
                pass
        finally:
            self._close()


_sequencer: Sequencer | None = None


def start_sequencer(*, gather: float = GATHER, tick: float = TICK) -> Sequencer | None:
    """Start this process's sequencer thread (PostgreSQL only; on SQLite every append places itself).

    Call it where a long-lived process starts (``famlink/wsgi.py``). It is
    stopped, after a last turn, when the process exits normally.
    """
    global _sequencer
    if not on_postgres():
        return None
    if _sequencer is not None and _sequencer.running():
        return _sequencer
    if _sequencer is not None and _sequencer.pid == os.getpid():
        _sequencer.stop(timeout=0)  # a stalled one is told to stop, not waited for
    _sequencer = Sequencer(gather=gather, tick=tick).start()
    return _sequencer


@atexit.register
def stop_sequencer() -> None:
    """Stop this process's sequencer after its last turn; appends then sequence themselves again."""
    global _sequencer
    if _sequencer is not None:
        if _sequencer.pid == os.getpid():
            _sequencer.stop()
        _sequencer = None


def running_sequencer() -> Sequencer | None:
    """This process's sequencer, if appends can rely on it (see ``Sequencer.running``)."""
    found = _sequencer
    return found if found is not None and found.running() else None
