"""Bulk writes without the ORM: COPY on PostgreSQL, ``executemany`` on SQLite.

Ingest (20,000 rows/s) and storing a linkage run (a million links) are out
of reach through ``bulk_create``, which builds a model instance per row and
SQL per batch. Here rows are plain tuples, streamed; one function serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection
from django.db.models import Field, Model

SQLValue = bool | int | float | str | bytes | date | datetime | None  # what the driver adapts for one column

#: SQLite page cache while a linkage run is stored, in KiB (the default is 2 MiB)
SQLITE_CACHE_KIB = 256 * 1024


def _column(model: type[Model], name: str) -> str:
    """The database column behind one concrete field (``source_id`` and ``source`` both give ``source_id``)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a concrete column")
    return field.column


def insert_rows(model: type[Model], fields: tuple[str, ...], rows: Iterable[Sequence[SQLValue]]) -> None:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table, in the caller's transaction.

    Values go in as the database stores them: JSON fields as JSON text, dates
    and times as the driver adapts them (Django registers SQLite's adapters).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(_column(model, f)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # the sqlite3 cursor itself: Django's wrapper rewrites every statement's placeholders
            marks = ", ".join(["?"] * len(fields))
            cursor.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def roomy_cache() -> None:
    """Give SQLite a page cache that holds the indexes a linkage run writes into.

    With the default 2 MiB every link inserted into the record indexes reads
    pages back from the file; this connection only, memory given back on close.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
