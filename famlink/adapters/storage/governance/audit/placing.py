"""Placing pending entries in the log: numbering them from the counter, hashing them, moving them across.

Everything here runs on Django's connection, in the caller's transaction,
holding the log's lock (``take_log``): an append that found the lock free,
or a turn of the sequencer (``sequencer``). The sequencer thread and the
audit writer place on connections of their own, with the same rows
(``placed_rows``) built here or by the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from famlink.adapters.storage.governance.audit.rows import CHUNK, ENTRY_COLUMNS, on_postgres, table
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
)
from famlink.core.audit import AuditEntry, leaf_hash
from famlink.core.errors import InvalidInput

#: The PostgreSQL advisory lock that makes one sequencer at a time ("famlink" in ASCII).
LOG_LOCK = 0x66616D6C696E6B
ROWS_PER_INSERT = 2_000  # 11 parameters a row stays under SQLite's and PostgreSQL's limits


def take_log(*, wait: bool) -> bool:
    """Take the log's lock until this transaction ends; without ``wait``, only if it is free."""
    if not on_postgres():
        return True  # SQLite: this IMMEDIATE transaction already holds the only write lock
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {'pg_advisory_xact_lock' if wait else 'pg_try_advisory_xact_lock'}(%s)", [LOG_LOCK])
        return bool(cursor.fetchone()[0]) if not wait else True


def _insert_entries(rows: list[tuple[Any, ...]]) -> None:
    """Insert placed entries (rows from ``placed_rows``) with plain multi-row INSERTs."""
    columns = ", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(ENTRY_COLUMNS)) + ")"
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start : start + ROWS_PER_INSERT]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table(AuditLogEntry)} ({columns}) VALUES {', '.join([one] * len(part))}",
                [value for row in part for value in row],
            )


def _claim_indexes(count: int) -> int:
    """Move the counter on by ``count``; return the first index claimed. Call holding the log's lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table(AuditLogCounter)} SET next_index = next_index + %s WHERE id = 1 RETURNING next_index',
            [count],
        )
        found = cursor.fetchone()
    if found is None:  # first use (or a test flushed the table)
        AuditLogCounter.objects.bulk_create([AuditLogCounter(id=1)], ignore_conflicts=True)
        return _claim_indexes(count)
    return int(found[0]) - count


def read_pending(taken: list[tuple[int, bytes]]) -> tuple[list[tuple[int, bytes, AuditEntry]], list[tuple[int, bytes]]]:
    """Split taken pending rows, in ``id`` order, into readable entries and rows that are not entries."""
    readable: list[tuple[int, bytes, AuditEntry]] = []
    unreadable: list[tuple[int, bytes]] = []
    for row_id, facts in sorted(taken):
        try:
            readable.append((row_id, facts, AuditEntry.from_pending_bytes(facts, 0)))
        except InvalidInput:
            unreadable.append((row_id, facts))
    return readable, unreadable


def placed_rows(readable: list[tuple[int, bytes, AuditEntry]], first: int) -> list[tuple[Any, ...]]:
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


def place_pending(*, rows_wanted: bool = False) -> tuple[int, dict[int, AuditLogEntry], list[int]]:
    """Move every visible pending entry into the log, in ``id`` order. Call holding the log's lock.

    Returns how many were placed, the placed rows by pending id (only if
    ``rows_wanted``: an append returns them), and the ids of pending rows
    that are not readable entries (put back where they were, for ``verify``
    to report).
    """
    count = 0
    placed: dict[int, AuditLogEntry] = {}
    unreadable: list[tuple[int, bytes]] = []
    pending = table(AuditLogPending)
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
        readable, bad = read_pending(taken)
        unreadable += bad
        rows = placed_rows(readable, _claim_indexes(len(readable)) if readable else 0)
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
