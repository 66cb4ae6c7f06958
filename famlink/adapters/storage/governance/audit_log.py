"""The audit log in the database: write-ahead appends, one gap-free order, signed heads, checks, proofs.

An append writes the entry *pending* (``AuditLogPending``: its canonical bytes
without an index) in the caller's transaction, so the access and its entry
commit or vanish together, and concurrent requests take no common lock: their
commits flush in parallel. The *sequencer* then gives committed pending entries
their places: under the log's lock (a PostgreSQL advisory lock; SQLite's
IMMEDIATE transactions already serialise writers) it numbers them from the
counter in ``id`` order, hashes them and moves them into ``AuditLogEntry`` in
one transaction, so indexes are gap-free and every leaf hash is in index order.

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
with, so where an *audit writer* listens (``audit_writer``; ``famlink serve``
starts one on PostgreSQL) their entries go to it instead, and it places the
entries of many requests in one commit before answering (``place_ahead``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.governance import audit_proofs, audit_witness, audit_writer
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
    PublishedTreeHead,
)
from famlink.core.audit import (
    READ_EVENTS,
    AuditEntry,
    AuditEvent,
    ConsistencyProof,
    SignedTreeHead,
    TreeHead,
    Verdict,
    WitnessedHead,
    leaf_hash,
    new_tree_head,
    sign_tree_head,
    signing_key,
    utc_timestamp,
    verify_consistency,
    verify_log,
)
from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import DataCategory, Purpose

log = logging.getLogger(__name__)

CHUNK = 20_000
READABLE = ("actor_id", "actor_role", "organisation", "purpose", "subject_id", "action", "decision")
#: The PostgreSQL advisory lock that makes one sequencer at a time ("famlink" in ASCII).
LOG_LOCK = 0x66616D6C696E6B


@dataclass(frozen=True, slots=True)
class AuditFacts:
    """What one entry says, before it has a place in the log."""

    actor_id: str
    actor_role: str
    organisation: str
    purpose: Purpose | None
    subject_id: str | None
    data_categories: tuple[DataCategory, ...]
    action: AuditEvent
    decision: Verdict
    reasons: tuple[str, ...] = ()
    justification: str = ""


def _fields(facts: AuditFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in facts.__slots__}  # type: ignore[attr-defined]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _take_log(*, wait: bool) -> bool:
    """Take the log's lock until this transaction ends; without ``wait``, only if it is free."""
    if not _postgres():
        return True  # SQLite: this IMMEDIATE transaction already holds the only write lock
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {'pg_advisory_xact_lock' if wait else 'pg_try_advisory_xact_lock'}(%s)", [LOG_LOCK])
        return bool(cursor.fetchone()[0]) if not wait else True


def _write_pending(facts: list[bytes], *, wait: bool) -> tuple[list[int], bool]:
    """Insert pending rows in this transaction; return their ids and whether the log's lock is now held.

    On PostgreSQL the insert and the attempt at the lock are one round trip:
    this runs once per request, so it is the statement to keep short.
    """
    if not _postgres() or wait:
        rows = AuditLogPending.objects.bulk_create([AuditLogPending(facts=data) for data in facts])
        return [row.id for row in rows], _take_log(wait=wait)
    values = ", ".join(["(%s)"] * len(facts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS (INSERT INTO {_table(AuditLogPending)} (facts) VALUES {values} RETURNING id) "
            "SELECT array_agg(id ORDER BY id), pg_try_advisory_xact_lock(%s) FROM written",
            [*facts, LOG_LOCK],
        )
        ids, locked = cursor.fetchone()
    return list(ids), bool(locked)


def _write_ahead(facts: list[bytes]) -> None:
    """Insert pending rows in this transaction and nothing more, while a sequencer runs.

    On PostgreSQL the INSERT goes to the server with the transaction's COMMIT,
    one round trip for both (``famlink.adapters.storage.postgresql``): nothing
    reads its result, and if it fails the COMMIT is not run.
    """
    sql = f"INSERT INTO {_table(AuditLogPending)} (facts) VALUES {', '.join(['(%s)'] * len(facts))}"
    send_with_commit = getattr(connection, "send_with_commit", None)
    if send_with_commit is not None:
        send_with_commit(sql, facts)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, facts)


def _row(entry: AuditEntry, index: int | None = None) -> AuditLogEntry:
    """What ``append`` returns for an entry placed elsewhere (the audit writer) or still pending (no index):
    the readable columns, not the bytes or hash."""
    return AuditLogEntry(
        index=index,  # type: ignore[misc]  # None: unsaved, it has no place yet
        entry_bytes=b"",
        leaf_hash=b"",
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        organisation=entry.organisation,
        purpose=None if entry.purpose is None else entry.purpose.value,
        subject_id=entry.subject_id,
        action=entry.action.value,
        decision=entry.decision.value,
        occurred_at=datetime.fromisoformat(entry.occurred_at),
    )


ENTRY_COLUMNS = ("index", "entry_bytes", "leaf_hash", *READABLE, "occurred_at")
ROWS_PER_INSERT = 2_000  # 11 parameters a row stays under SQLite's and PostgreSQL's limits


def _insert_entries(rows: list[tuple[Any, ...]]) -> None:
    """Insert placed entries (rows from ``_placed_rows``) with plain multi-row INSERTs."""
    columns = ", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(ENTRY_COLUMNS)) + ")"
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start : start + ROWS_PER_INSERT]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_table(AuditLogEntry)} ({columns}) VALUES {', '.join([one] * len(part))}",
                [value for row in part for value in row],
            )


def _claim_indexes(count: int) -> int:
    """Move the counter on by ``count``; return the first index claimed. Call holding the log's lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {_table(AuditLogCounter)} SET next_index = next_index + %s WHERE id = 1 RETURNING next_index',
            [count],
        )
        found = cursor.fetchone()
    if found is None:  # first use (or a test flushed the table)
        AuditLogCounter.objects.bulk_create([AuditLogCounter(id=1)], ignore_conflicts=True)
        return _claim_indexes(count)
    return int(found[0]) - count


def _read_pending(taken: list[tuple[int, bytes]]) -> tuple[list[tuple[int, bytes, AuditEntry]], list[tuple[int, bytes]]]:
    """Split taken pending rows, in ``id`` order, into readable entries and rows that are not entries."""
    readable: list[tuple[int, bytes, AuditEntry]] = []
    unreadable: list[tuple[int, bytes]] = []
    for row_id, facts in sorted(taken):
        try:
            readable.append((row_id, facts, AuditEntry.from_pending_bytes(facts, 0)))
        except InvalidInput:
            unreadable.append((row_id, facts))
    return readable, unreadable


def _placed_rows(readable: list[tuple[int, bytes, AuditEntry]], first: int) -> list[tuple[Any, ...]]:
    """The ``AuditLogEntry`` rows (values in ``ENTRY_COLUMNS`` order) of entries placed from index ``first``."""
    rows = []
    for index, (_, facts, entry) in enumerate(readable, start=first):
        data = AuditEntry.placed_bytes(facts, index)
        rows.append((
            index, data, leaf_hash(data), entry.actor_id, entry.actor_role, entry.organisation,
            None if entry.purpose is None else entry.purpose.value, entry.subject_id, entry.action.value,
            entry.decision.value, datetime.fromisoformat(entry.occurred_at),
        ))
    return rows


def _place_pending(*, rows_wanted: bool = False) -> tuple[int, dict[int, AuditLogEntry], list[int]]:
    """Move every visible pending entry into the log, in ``id`` order. Call holding the log's lock.

    Returns how many were placed, the placed rows by pending id (only if
    ``rows_wanted``: an append returns them), and the ids of pending rows
    that are not readable entries (put back where they were, for ``verify``
    to report).
    """
    count = 0
    placed: dict[int, AuditLogEntry] = {}
    unreadable: list[tuple[int, bytes]] = []
    pending = _table(AuditLogPending)
    adapt = connection.ops.adapt_datetimefield_value
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {pending} WHERE id IN (SELECT id FROM {pending} ORDER BY id LIMIT {CHUNK}) "
                "RETURNING id, facts"
            )
            taken = [(row_id, bytes(facts)) for row_id, facts in cursor.fetchall()]
        if not taken:
            break
        readable, bad = _read_pending(taken)
        unreadable += bad
        rows = _placed_rows(readable, _claim_indexes(len(readable)) if readable else 0)
        if rows_wanted:
            for (row_id, _, _), row in zip(readable, rows, strict=True):
                placed[row_id] = AuditLogEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True)))
        if rows:
            _insert_entries([(*row[:-1], adapt(row[-1])) for row in rows])
        count += len(rows)
        if len(taken) < CHUNK:
            break
    AuditLogPending.objects.bulk_create([AuditLogPending(id=row_id, facts=facts) for row_id, facts in unreadable])
    return count, placed, [row_id for row_id, _ in unreadable]


#: What ``_lock_if_pending`` found: nothing pending, the lock held by someone else, or the lock now ours.
NOTHING, BUSY, LOCKED = "nothing", "busy", "locked"


def _lock_if_pending(excluding: list[int]) -> str:
    """If anything is pending, take the log's lock for this connection (across transactions) if it is free.

    One round trip on PostgreSQL. Returns NOTHING, BUSY or LOCKED.
    """
    if not _postgres():
        return LOCKED if AuditLogPending.objects.exclude(id__in=excluding).exists() else NOTHING
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_IF_PENDING.format(pending=_table(AuditLogPending)), [LOG_LOCK, excluding])
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
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _release_session_lock() -> None:
    if _postgres():
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
            placed, _, left = _place_pending()
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
            if not _take_log(wait=wait):
                return 0
            placed, _, _ = _place_pending()
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


def _connect_sequencer(*, synchronous: bool = False) -> psycopg.Connection[Any]:
    """A connection of the log's own to Django's database, outside Django, in autocommit.

    A sequencer's commits do not wait for their disk flush (all it commits
    is placing; see ``_without_waiting_for_disk``); the audit writer's do
    (``synchronous``): the entries it places exist nowhere else.
    """
    params = connection.get_connection_params()
    for django_only in ("cursor_factory", "context"):  # plain psycopg: statements and arrays in binary
        params.pop(django_only, None)
    params["prepare_threshold"] = 0  # the same few statements for the process's life: planned once, on the server
    own = psycopg.connect(**params, autocommit=True)
    if not synchronous:
        own.execute("SET synchronous_commit TO OFF")
    return own


class OwnConnection:
    """A connection of the log's own (``_connect_sequencer``), made when first needed.

    Closed after any failure: that rolls back a transaction it was in and
    releases the log's lock, and the next use starts on a new connection.
    """

    def __init__(self, *, synchronous: bool = False, lock_wait: str | None = None) -> None:
        self.synchronous, self.lock_wait = synchronous, lock_wait
        self.connection: psycopg.Connection[Any] | None = None

    def get(self) -> psycopg.Connection[Any]:
        if self.connection is None:
            self.connection = _connect_sequencer(synchronous=self.synchronous)
            if self.lock_wait is not None:  # wait this long for a lock, then fail
                self.connection.execute(f"SET lock_timeout TO '{self.lock_wait}'")
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


def _turn_on(own: psycopg.Connection[Any], unreadable: tuple[int, ...]) -> Turn:
    """``_take_turn`` on the sequencer's own connection, in three round trips.

    Look and lock; then, pipelined, begin, read the counter and take the
    pending rows; then, pipelined, move the counter, insert the placed
    entries, put back unreadable rows, commit and release the lock. If any
    of it fails the caller closes the connection, which rolls back and
    releases the lock.
    """
    table = {model: _table(model) for model in (AuditLogPending, AuditLogEntry, AuditLogCounter)}
    found = own.execute(_LOCK_IF_PENDING.format(pending=table[AuditLogPending]), [LOG_LOCK, list(unreadable)]).fetchone()
    if found is None or not found[0]:
        return Turn(NOTHING if found is None else BUSY, unreadable=unreadable)
    with own.pipeline():
        own.execute("BEGIN")
        counter = own.execute(f"SELECT next_index FROM {table[AuditLogCounter]} WHERE id = 1 FOR UPDATE")
        taken = own.execute(
            f"DELETE FROM {table[AuditLogPending]} WHERE id IN "
            f"(SELECT id FROM {table[AuditLogPending]} ORDER BY id LIMIT {CHUNK}) RETURNING id, facts"
        )
        first = counter.fetchone()
        readable, bad = _read_pending(taken.fetchall())
        rows = _placed_rows(readable, 0 if first is None else int(first[0]))
        own.execute(
            f"INSERT INTO {table[AuditLogCounter]} (id, next_index) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET next_index = EXCLUDED.next_index",
            [(0 if first is None else int(first[0])) + len(rows)],
        )
        if rows:
            columns = ", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS)
            arrays = ", ".join(f"%s::{kind}[]" for kind in _UNNEST_TYPES)
            own.execute(
                f"INSERT INTO {table[AuditLogEntry]} ({columns}) SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*rows, strict=True)], binary=True,
            )
        if bad:
            own.execute(
                f"INSERT INTO {table[AuditLogPending]} (id, facts) SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
                [[row_id for row_id, _ in bad], [facts for _, facts in bad]], binary=True,
            )
        own.execute("COMMIT")
        own.execute("SELECT pg_advisory_unlock(%s)", [LOG_LOCK])
    return Turn(LOCKED, len(rows), tuple(row_id for row_id, _ in bad))


#: The audit writer's transaction, one statement: claim indexes from the counter, place the entries
#: sent to it and return the first index. See ``place_ahead``.
_PLACE_AHEAD = """
WITH claimed AS (
    UPDATE {counter} SET next_index = next_index + cardinality(%(facts)s::bytea[]) WHERE id = 1
    RETURNING next_index - cardinality(%(facts)s::bytea[]) AS first
), sent AS MATERIALIZED (  -- each entry's JSON parsed once, not once for each column read from it
    SELECT claimed.first + t.n - 1 AS index, t.facts, convert_from(t.facts, 'UTF8')::jsonb AS j,
           position('\\x2c226a757374696669636174696f6e223a'::bytea IN t.facts) AS at
    FROM claimed, unnest(%(facts)s::bytea[]) WITH ORDINALITY AS t(facts, n)
), placed AS (
    SELECT *, substring(facts FROM 1 FOR at - 1) || convert_to(',"index":' || index, 'UTF8') || substring(facts FROM at)
              AS entry_bytes
    FROM sent
), written AS (
    INSERT INTO {entries} ({columns})
    SELECT index, entry_bytes, sha256('\\x00'::bytea || entry_bytes), j->>'actor_id', j->>'actor_role',
           j->>'organisation', j->>'purpose', j->>'subject_id', j->>'action', j->>'decision',
           (j->>'occurred_at')::timestamptz
    FROM placed
)
SELECT first FROM claimed
"""


def place_ahead(own: psycopg.Connection[Any], sent: list[bytes]) -> int:
    """Place entries sent to the audit writer (pending bytes it has read as entries); the index of the first.

    One statement on the writer's autocommit connection, so one round trip
    and one synchronous commit: it moves the counter on and inserts the
    entries. The database makes each entry's bytes, leaf hash and readable
    columns, as ``AuditEntry.placed_bytes``, ``leaf_hash`` and
    ``_placed_rows`` would (a test holds the two to the same rows, and
    ``verify`` recomputes them), so nothing has to be read back first.

    It does not take the log's advisory lock: the counter row's lock, held
    from the UPDATE to the commit, already orders every placing (the
    sequencers' too), so indexes stay gap-free and each placing commits
    after the one before. Pending entries are left to the sequencers.
    """
    params = {"facts": sent}
    sql = _PLACE_AHEAD.format(counter=_table(AuditLogCounter), entries=_table(AuditLogEntry),
                              columns=", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS))
    claimed = own.execute(sql, params, binary=True).fetchone()
    if claimed is None:  # first use (or a test flushed the table): no counter row to move on yet
        own.execute(f"INSERT INTO {_table(AuditLogCounter)} (id, next_index) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
        claimed = own.execute(sql, params, binary=True).fetchone()
    if claimed is None:
        raise psycopg.DataError("the audit log's counter could not be created")
    return int(claimed[0])


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
    ``append_many`` sequences in the request again (``running``).
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
    if not _postgres():
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


def _sequencer_running() -> Sequencer | None:
    found = _sequencer
    return found if found is not None and found.running() else None


def append(facts: AuditFacts, *, at: datetime | None = None, need_index: bool = False) -> AuditLogEntry:
    """Write one entry in the caller's transaction (opened here if there is none); see ``append_many``."""
    return append_many([facts], at=at, need_index=need_index)[0]


def append_many(
    batch: Iterable[AuditFacts], *, at: datetime | None = None, need_index: bool = False
) -> list[AuditLogEntry]:
    """Write entries, in order, in the caller's transaction: a linkage run logs many at once.

    Entries of reads go to the audit writer if one listens, and come back
    placed, with their indexes, once committed (see ``audit_writer``).
    Otherwise the entries are written pending, with no lock shared between requests. If
    the log's lock is free they are given their places at once (and the rows
    returned carry their indexes); if not, the rows come back with ``index``
    None and are placed just after commit. ``need_index`` waits for the lock
    instead, for callers that record the index (consent events): the wait is
    short, since appends never hold the lock while waiting for anything else.
    """
    moment = at or timezone.now()
    stamp = utc_timestamp(moment)
    entries = [AuditEntry(index=0, occurred_at=stamp, **_fields(facts)) for facts in batch]
    if not entries:
        return []
    if _postgres() and all(entry.action in READ_EVENTS for entry in entries):
        first = audit_writer.send_ahead([entry.pending_bytes() for entry in entries])
        if first is not None:  # committed by the audit writer: see its module
            return [_row(entry, index) for index, entry in enumerate(entries, start=first)]
    sequencer = _sequencer_running()
    # No savepoint: if anything here fails, the caller's access must roll back with it.
    with transaction.atomic(savepoint=False):
        if sequencer is not None and not need_index:
            _write_ahead([entry.pending_bytes() for entry in entries])
            transaction.on_commit(sequencer.wake)  # the sequencer places it (and anything skipped past)
            return [_row(entry) for entry in entries]
        ids, locked = _write_pending([entry.pending_bytes() for entry in entries], wait=need_index)
        # place whatever was skipped past meanwhile
        transaction.on_commit(sequencer.wake if sequencer is not None else sequence_pending, robust=True)
        if not locked:
            return [_row(entry) for entry in entries]
        _, placed, _ = _place_pending(rows_wanted=True)
    return [placed.get(row_id) or _row(entry) for row_id, entry in zip(ids, entries, strict=True)]


def committed_size() -> int:
    """How many entries are committed (every index below this exists)."""
    row = AuditLogCounter.objects.filter(pk=1).values_list("next_index", flat=True).first()
    return row or 0


def _rows(limit: int | None = None) -> Iterator[tuple[int, bytes, bytes, tuple[Any, ...]]]:
    """Stream ``(index, bytes, leaf hash, readable columns)`` in index order, in chunks."""
    table = AuditLogEntry._meta.db_table
    columns = ", ".join(READABLE)
    last = -1
    while True:
        bound = "" if limit is None else f' AND "index" < {int(limit)}'
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index", entry_bytes, leaf_hash, {columns} FROM {table} '
                f'WHERE "index" > %s{bound} ORDER BY "index" LIMIT {CHUNK}',
                [last],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        for row in batch:
            yield row[0], bytes(row[1]), bytes(row[2]), row[3:]
        last = batch[-1][0]


def signed_heads() -> list[SignedTreeHead]:
    return [SignedTreeHead.from_json(text) for text in PublishedTreeHead.objects.values_list("signed_json", flat=True)]


def public_tree_heads() -> list[dict[str, Any]]:
    """Every published signed tree head, oldest first, in the published JSON form.

    Each carries ``consistency_with_previous``: the consistency proof from
    the head before it (docs/audit.md §3), so that anyone holding an older
    head can check, with their own code, that the log only grew since.
    """
    sequence_pending()  # a reader of the log: leave nothing pending behind it
    return [
        {**json.loads(signed), "consistency_with_previous": json.loads(proof) if proof else None}
        for signed, proof in PublishedTreeHead.objects.values_list("signed_json", "consistency_json")
    ]


@dataclass(frozen=True, slots=True)
class Publication:
    """What ``publish`` did: the head it signed, where it kept a copy, and what each witness URL said."""

    signed: SignedTreeHead
    witness_file: Path
    witnesses: tuple[audit_witness.WitnessReport, ...] = ()

    @property
    def head(self) -> TreeHead:
        return self.signed.head


def _still_extends(earlier: SignedTreeHead, where: str, size: int, root: bytes) -> list[bytes]:
    """The consistency proof from an earlier head to the log of ``size`` entries; refuse if there is none."""
    head = earlier.head
    if head.size > size:
        raise InvalidInput(
            f"the log holds {size} entries, fewer than the {head.size} of the tree head signed at "
            f"{head.timestamp} ({where}): entries were removed; run 'famlink audit verify'"
        )
    proof = audit_proofs.consistency(head.size, size)
    if not verify_consistency(head.size, size, head.root_hash, root, proof):
        raise InvalidInput(
            f"the log no longer matches the tree head signed at {head.timestamp} ({where}), so a new head "
            "would contradict it; run 'famlink audit verify'"
        )
    return proof


def publish(*, at: datetime | None = None) -> Publication:
    """Sign the tree head over every entry committed before the call, store it, and witness it outside the database.

    The root comes from the stored tree (``audit_proofs``), extended first
    with the leaf hashes it lacks: checking those against the entries is
    ``verify``'s job. It refuses to sign a head that the latest stored head
    or the latest witnessed head does not extend (the log was cut or
    rewritten). The head is kept in the witness file and POSTed to the
    witness URLs after it is stored; a URL that fails is reported, and the
    head stays published.
    """
    sequence_pending(wait=True)
    with transaction.atomic():
        audit_proofs.take_tree()  # one publish at a time: the size is read after any other has stored its head
        size = committed_size()
        covered = audit_proofs.extend_to(size)
        if covered > size:
            raise InvalidInput(
                f"the log holds {size} entries but its stored tree already covered {covered}: "
                "entries were removed; run 'famlink audit verify'"
            )
        root = audit_proofs.root(size)
        previous = PublishedTreeHead.objects.order_by("-size", "-id").first()
        proof: ConsistencyProof | None = None
        if previous is not None:
            earlier = SignedTreeHead.from_json(previous.signed_json)
            proof = ConsistencyProof(earlier.head.size, size, tuple(_still_extends(earlier, "in the database", size, root)))
        witnessed = audit_witness.witnessed_heads()
        if witnessed:
            latest = max(witnessed, key=lambda copy: copy.signed.head.size)
            try:
                _still_extends(latest.signed, latest.where, size, root)
            except InvalidInput as error:
                raise InvalidInput(
                    f"{error.message}. If the entries were lost for good (a database restored from an older backup), "
                    "keep the witness file as the record of that, move it aside and publish again: the heads "
                    "published from then on start a new witnessed history (docs/audit.md §8)"
                ) from None
        head = new_tree_head(size, root, at or timezone.now())
        signed = sign_tree_head(head, signing_key(config.data_dir()))
        PublishedTreeHead.objects.create(
            size=size,
            root_hash=head.root_hash.hex(),
            timestamp=head.timestamp,
            key_id=signed.key_id,
            signed_json=signed.to_json(),
            published_at=timezone.now(),
            consistency_json="" if proof is None else json.dumps(proof.to_dict()),
        )
    path = audit_witness.keep(signed)
    return Publication(signed, path, tuple(audit_witness.send(signed)))


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The result of ``famlink audit verify``: the core result plus the readable columns."""

    ok: bool
    entries: int
    first_bad_index: int | None
    problem: str | None
    tree_heads_checked: int
    root_hash: str
    entries_after_last_head: int
    entries_pending: int = 0
    witnessed_heads_checked: int = 0  # heads kept outside the database (witness file, saved copies) that held
    witness_file: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _readable_mismatch(index: int, data: bytes, readable: tuple[Any, ...]) -> str | None:
    """Name the first readable column that no longer says what the hashed bytes say."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None  # the hash check reports it
    for name, value in zip(READABLE, readable, strict=True):
        expected = raw.get(name) if isinstance(raw, dict) else None
        if (value or None) != (expected or None):
            return f"entry {index} was changed after it was logged: its stored {name} no longer matches its hashed contents"
    return None


def _unreadable_pending() -> tuple[int, str | None]:
    """How many entries are still pending, and the first that is not a readable entry (it cannot be placed)."""
    count, problem = 0, None
    for pending_id, facts in AuditLogPending.objects.order_by("id").values_list("id", "facts").iterator(CHUNK):
        count += 1
        if problem is None:
            try:
                AuditEntry.from_pending_bytes(bytes(facts), 0)
            except InvalidInput as error:
                problem = (
                    f"pending entry {pending_id} (written but not yet given its place in the log) "
                    f"was changed after it was written: {error}"
                )
    return count, problem


def _rehashed(index: int) -> str:
    return (
        f"entry {index} was changed after it was logged, and its stored leaf hash recomputed to hide it: "
        "the copy of its hash taken into the audit tree when it was published differs"
    )


def _outside_problem(
    entries: int, counted: tuple[int, int], covered: int, witnessed: list[WitnessedHead], stored: list[SignedTreeHead]
) -> tuple[int | None, str] | None:
    """What the database's own counter, stored tree and heads say against a log that otherwise verified.

    ``counted`` is the counter read before and after the log was read: placing
    moves it in the same transaction as it inserts, so with nobody editing it
    by hand, before <= entries read <= after.
    """
    before, after = counted
    if entries < before:
        return entries, (
            f"the log's counter says {before} entries were placed, but the log holds {entries}: entries from "
            f"index {entries} were removed, or the counter was changed by hand"
        )
    if entries > after:
        return after, (
            f"the log holds {entries} entries but its counter says only {after} were placed: the counter was set "
            f"back by hand, and the next entry would take index {after}, which is already used"
        )
    if covered > entries:
        return entries, (
            f"the log has {entries} entries but the audit tree kept for proofs already covered {covered}: "
            f"entries from index {entries} were removed"
        )
    kept = set(stored)
    for copy in witnessed:
        if copy.signed not in kept:
            head = copy.signed.head
            return None, (
                f"the tree head for {head.size} entries signed at {head.timestamp} ({copy.where}) is no longer in "
                "the database: it was deleted"
            )
    return None


def verify(*, against: Iterable[str] = ()) -> AuditCheck:
    """Place pending entries, recompute every leaf and root against the signed heads; name the first bad entry.

    The heads checked are those in the database, those in the witness file
    (kept outside it by ``publish``) and those in each saved copy named in
    ``against`` (files or http(s) URLs; one that cannot be read is refused
    with InvalidInput before anything is checked). Besides the hashes it
    checks each entry's readable columns, the copy of its leaf hash in the
    stored tree (so an entry edited and re-hashed is named by its index), the
    log's counter, and that no witnessed head has gone from the database.

    A pending entry that cannot be placed (its bytes were edited into something
    that is not an entry) makes the check fail too: it is an access whose
    entry would otherwise never reach the log.
    """
    saved = [copy for source in against for copy in audit_witness.saved_heads(source)]
    with contextlib.suppress(IntegrityError):  # the counter was set back, so placing reused an index: reported below
        sequence_pending(wait=True)
    before, covered = committed_size(), audit_proofs.stored_size()
    witness_problem = None
    try:
        witnessed = audit_witness.witnessed_heads()
    except InvalidInput as error:
        witnessed, witness_problem = [], error.text
    stored = signed_heads()
    mismatch: list[tuple[int, str]] = []
    copies = audit_proofs.leaf_copies()

    def rows() -> Iterator[tuple[int, bytes, bytes]]:
        copy = next(copies, None)
        for index, data, digest, readable in _rows():
            problem = _readable_mismatch(index, data, readable)
            while copy is not None and copy[0] < index:
                copy = next(copies, None)
            if problem is None and copy is not None and copy[0] == index and copy[1] != digest and copy[1] != leaf_hash(data):
                problem = _rehashed(index)
            if problem:
                mismatch.append((index, problem))
                return
            yield index, data, digest

    result = verify_log(rows(), stored, signing_key(config.data_dir()).public_key(), [*witnessed, *saved])
    ok, first_bad, problem = result.ok, result.first_bad_index, result.problem
    if mismatch and (ok or first_bad is None or first_bad >= mismatch[0][0]):
        ok, (first_bad, problem) = False, mismatch[0]
    if ok and witness_problem:
        ok, problem = False, witness_problem
    if ok and (found := _outside_problem(result.entries, (before, committed_size()), covered, [*witnessed, *saved], stored)):
        ok, (first_bad, problem) = False, found
    pending, pending_problem = _unreadable_pending()
    if pending_problem and ok:
        ok, problem = False, pending_problem
    return AuditCheck(
        ok=ok,
        entries=result.entries,
        first_bad_index=first_bad,
        problem=problem,
        tree_heads_checked=result.tree_heads_checked,
        root_hash=result.root_hash.hex(),
        entries_after_last_head=result.entries_after_last_head,
        entries_pending=pending,
        witnessed_heads_checked=result.witnessed_heads_checked,
        witness_file=str(audit_witness.witness_file()),
    )
