"""The audit log's tables as every part of it reads them: columns, the counter, rows in order, its own connection.

The bottom of the audit package: it imports none of the others, so the
append, sequencer and writer modules above can share it without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from django.db import connection

from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
)

#: Rows read (or placed) per query.
CHUNK = 20_000
#: The columns filled from an entry's bytes so that the log can be searched; ``verify`` holds them to the bytes.
READABLE = ("actor_id", "actor_role", "organisation", "purpose", "subject_id", "action", "decision")
#: An ``AuditLogEntry`` row's columns, in the order placing writes them.
ENTRY_COLUMNS = ("index", "entry_bytes", "leaf_hash", *READABLE, "occurred_at")


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def table(model: type[Any]) -> str:
    """The model's table name, quoted for raw SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def committed_size() -> int:
    """How many entries are committed (every index below this exists)."""
    row = AuditLogCounter.objects.filter(pk=1).values_list("next_index", flat=True).first()
    return row or 0


def entries_in_order(limit: int | None = None) -> Iterator[tuple[int, bytes, bytes, tuple[Any, ...]]]:
    """Stream ``(index, bytes, leaf hash, readable columns)`` in index order, in chunks."""
    columns = ", ".join(READABLE)
    last = -1
    while True:
        bound = "" if limit is None else f' AND "index" < {int(limit)}'
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index", entry_bytes, leaf_hash, {columns} FROM {table(AuditLogEntry)} '
                f'WHERE "index" > %s{bound} ORDER BY "index" LIMIT {CHUNK}',
                [last],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        for row in batch:
            yield row[0], bytes(row[1]), bytes(row[2]), row[3:]
        last = batch[-1][0]


def pending_rows() -> Iterator[tuple[int, bytes]]:
    """Stream ``(id, pending bytes)`` of the entries not yet placed, in ``id`` order."""
    for pending_id, facts in AuditLogPending.objects.order_by("id").values_list("id", "facts").iterator(CHUNK):
        yield pending_id, bytes(facts)


def connect_own(*, synchronous: bool = False) -> psycopg.Connection[Any]:
    """A connection of the log's own to Django's database, outside Django, in autocommit.

    A sequencer's commits do not wait for their disk flush (all it commits
    is placing; see ``sequencer._without_waiting_for_disk``); the audit
    writer's do (``synchronous``): the entries it places exist nowhere else.
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
    """A connection of the log's own (``connect_own``), made when first needed.

    Closed after any failure: that rolls back a transaction it was in and
    releases the log's lock, and the next use starts on a new connection.
    """

    def __init__(self, *, synchronous: bool = False, lock_wait: str | None = None) -> None:
        self.synchronous, self.lock_wait = synchronous, lock_wait
        self.connection: psycopg.Connection[Any] | None = None

    def get(self) -> psycopg.Connection[Any]:
        if self.connection is None:
            self.connection = connect_own(synchronous=self.synchronous)
            if self.lock_wait is not None:  # wait this long for a lock, then fail
                self.connection.execute(f"SET lock_timeout TO '{self.lock_wait}'")
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None
