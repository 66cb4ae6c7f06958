"""Django's PostgreSQL backend, plus statements sent together with the transaction's COMMIT.

A request through the policy door ends with its audit entry's INSERT and
then its COMMIT: two round trips, and on a busy server each costs as much
CPU as the statement itself. ``send_with_commit`` defers a statement whose
result nobody reads; it goes to the server in one query with the COMMIT
(``INSERT ...; COMMIT``, the simple query protocol: one round trip for
both), or, if anything else is run in the transaction first, just before
that (a savepoint too), so the order of statements never changes. If it
fails, the server does not run the COMMIT after it and the transaction
rolls back: the statement and the rest of the transaction commit together
or not at all. If the transaction rolls back, the statement is dropped with
it. (psycopg's pipeline mode would also send both at once, but costs more
CPU than the round trip it saves.)

A connection kept between requests (``CONN_MAX_AGE``) is checked before a
request reuses it (``CONN_HEALTH_CHECKS``), without a round trip: an idle
connection receives nothing unless the server is closing it, as it does to
every connection when it stops. So after PostgreSQL restarts, a worker's
next request opens a new connection instead of failing on the old one.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.with_commit: list[tuple[str, Sequence[Any]]] = []

    def send_with_commit(self, sql: str, params: Sequence[Any]) -> None:
        """Run ``sql`` in this transaction, sent with its COMMIT (or before the next statement, if sooner)."""
        if not self.in_atomic_block:
            raise RuntimeError("send_with_commit() needs a transaction to send it with")
        self.with_commit.append((sql, params))

    def _send_deferred(self) -> None:
        deferred, self.with_commit = self.with_commit, []
        with self.connection.cursor() as cursor:
            for sql, params in deferred:
                cursor.execute(sql, params)

    def create_cursor(self, name: str | None = None) -> Any:
        if self.with_commit:  # whatever runs next must come after the deferred statements
            with self.wrap_database_errors:
                self._send_deferred()
        return super().create_cursor(name)

    def _commit(self) -> None:
        if not self.with_commit or self.connection is None:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
            return
        deferred, self.with_commit = self.with_commit, []
        with debug_transaction(self, "COMMIT"), self.wrap_database_errors:
            # One simple-protocol query holding every statement and the COMMIT: the server runs them in
            # order and stops at the first error, so a failed statement leaves the transaction uncommitted.
            with psycopg.ClientCursor(self.connection) as cursor:
                cursor.execute(
                    "; ".join([*(sql for sql, _ in deferred), "COMMIT"]),
                    [value for _, params in deferred for value in params],
                )
            self.connection.commit()  # nothing is sent: the server has said the transaction is over

    def is_usable(self) -> bool:
        """Is the connection still open? Asked without a round trip (Django's asks ``SELECT 1``).

        Between requests the server sends nothing on a connection unless it is
        ending it (a restart, an administrator, a timeout): anything waiting
        to be read, or the socket closed, means it is gone.
        """
        if self.connection is None or self.connection.closed or self.connection.broken:
            return False
        if self.connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return False  # left inside a transaction, or one that failed: not for a new request
        try:
            waiting, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not waiting

    def _rollback(self) -> None:
        self.with_commit = []
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        self.with_commit = []
        super()._close()  # type: ignore[misc]
