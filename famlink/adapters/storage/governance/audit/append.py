"""Appending to the audit log: an access's entry, written in the access's own transaction (or by the audit writer).

The top of the audit package: it hands each entry to the audit writer
(``writer``), or writes it pending and leaves it to the sequencer
(``sequencer``), or places it itself (``placing``); see ``sequencer`` for
who places what, and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from famlink.adapters.storage.governance.audit.placing import LOG_LOCK, place_pending, take_log
from famlink.adapters.storage.governance.audit.rows import on_postgres, table
from famlink.adapters.storage.governance.audit.sequencer import running_sequencer, sequence_pending
from famlink.adapters.storage.governance.audit.writer import send_ahead
from famlink.adapters.storage.governance.models import AuditLogEntry, AuditLogPending
from famlink.core.audit import READ_EVENTS, AuditEntry, AuditFacts, utc_timestamp


def _write_pending(facts: list[bytes], *, wait: bool) -> tuple[list[int], bool]:
    """Insert pending rows in this transaction; return their ids and whether the log's lock is now held.

    On PostgreSQL the insert and the attempt at the lock are one round trip:
    this runs once per request, so it is the statement to keep short.
    """
    if not on_postgres() or wait:
        rows = AuditLogPending.objects.bulk_create([AuditLogPending(facts=data) for data in facts])
        return [row.id for row in rows], take_log(wait=wait)
    values = ", ".join(["(%s)"] * len(facts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS (INSERT INTO {table(AuditLogPending)} (facts) VALUES {values} RETURNING id) "
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
    sql = f"INSERT INTO {table(AuditLogPending)} (facts) VALUES {', '.join(['(%s)'] * len(facts))}"
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


def append(facts: AuditFacts, *, at: datetime | None = None, need_index: bool = False) -> AuditLogEntry:
    """Write one entry in the caller's transaction (opened here if there is none); see ``append_many``."""
    return append_many([facts], at=at, need_index=need_index)[0]


def append_many(
    batch: Iterable[AuditFacts], *, at: datetime | None = None, need_index: bool = False
) -> list[AuditLogEntry]:
    """Write entries, in order, in the caller's transaction: a linkage run logs many at once.

    Entries of reads go to the audit writer if one listens, and come back
    placed, with their indexes, once committed (see ``writer``).
    Otherwise the entries are written pending, with no lock shared between requests. If
    the log's lock is free they are given their places at once (and the rows
    returned carry their indexes); if not, the rows come back with ``index``
    None and are placed just after commit. ``need_index`` waits for the lock
    instead, for callers that record the index (consent events): the wait is
    short, since appends never hold the lock while waiting for anything else.
    """
    moment = at or timezone.now()
    stamp = utc_timestamp(moment)
    entries = [facts.entry(index=0, occurred_at=stamp) for facts in batch]  # index 0 until placed: not in the bytes
    if not entries:
        return []
    if on_postgres() and all(entry.action in READ_EVENTS for entry in entries):
        first = send_ahead([entry.pending_bytes() for entry in entries])
        if first is not None:  # committed by the audit writer: see its module
            return [_row(entry, index) for index, entry in enumerate(entries, start=first)]
    sequencer = running_sequencer()
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
        _, placed, _ = place_pending(rows_wanted=True)
    return [placed.get(row_id) or _row(entry) for row_id, entry in zip(ids, entries, strict=True)]
