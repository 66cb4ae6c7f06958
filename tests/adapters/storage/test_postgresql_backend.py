"""famlink's PostgreSQL engine: a statement sent with the COMMIT commits with its transaction or not at all."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from famlink.adapters.storage.governance.models import AuditLogPending
from tests.common.database import database_url

pytestmark = [
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]

TABLE = AuditLogPending._meta.db_table


def send(facts: bytes) -> None:
    connection.send_with_commit(f"INSERT INTO {TABLE} (facts) VALUES (%s)", [facts])  # type: ignore[attr-defined]


def stored() -> list[bytes]:
    return [bytes(f) for f in AuditLogPending.objects.order_by("id").values_list("facts", flat=True)]


def test_it_is_the_engine_in_use() -> None:
    assert settings.DATABASES["default"]["ENGINE"] == "famlink.adapters.storage.postgresql"
    assert connection.vendor == "postgresql"


def test_a_statement_sent_with_the_commit_is_committed_with_it() -> None:
    with transaction.atomic():
        AuditLogPending.objects.create(facts=b"first")
        send(b"second")
        assert connection.with_commit  # type: ignore[attr-defined]  # not sent yet
    assert stored() == [b"first", b"second"]
    assert not connection.in_atomic_block


def test_it_is_dropped_when_the_transaction_rolls_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send(b"lost")
        raise RuntimeError("the request failed")
    assert stored() == [] and not connection.with_commit  # type: ignore[attr-defined]


def test_anything_run_after_it_in_the_transaction_sees_it() -> None:
    with transaction.atomic():
        send(b"a")
        assert stored() == [b"a"]  # sent before the SELECT, in order
        send(b"b")
    assert stored() == [b"a", b"b"]


def test_savepoints_keep_their_meaning() -> None:
    with transaction.atomic():
        send(b"kept")
        with pytest.raises(RuntimeError), transaction.atomic():  # its SAVEPOINT goes after "kept"
            send(b"rolled back to the savepoint")
            raise RuntimeError
        send(b"also kept")
    assert stored() == [b"kept", b"also kept"]


def test_if_it_fails_nothing_in_its_transaction_commits() -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLogPending.objects.create(facts=b"the access")
        connection.send_with_commit(f"INSERT INTO {TABLE} (id, facts) VALUES (NULL, %s)", [b"x"])  # type: ignore[attr-defined]
    assert stored() == []
    with transaction.atomic():  # and the connection is usable afterwards
        send(b"next")
    assert stored() == [b"next"]


def test_it_needs_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        send(b"no transaction")


def test_a_connection_the_server_ended_while_idle_is_replaced_before_the_next_request_uses_it() -> None:
    """As after a PostgreSQL restart: the worker's kept connection must not fail its next request."""
    assert stored() == []  # the connection is open, as a worker keeps it between requests
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            time.sleep(0.01)  # until it has gone, telling its client so, as every backend has once a restart is done
    close_old_connections()  # what Django does as the next request starts
    assert stored() == []  # served on a new connection
    assert connection.connection is not None and connection.connection.info.backend_pid != pid
    assert connection.is_usable()  # and an open idle connection is kept
