"""Bulk writes for a linkage run: COPY on PostgreSQL, ``executemany`` on SQLite.

Through ``bulk_create`` storing a run's links took longer than Splink took to
find them (docs/performance.md): building a model instance per row, then SQL
per batch. Here rows are plain tuples, streamed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Model


def insert_rows(model: type[Model], fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table.

    Values go in as the database stores them: JSON fields as JSON text, dates
    and times through ``connection.ops.adapt_*`` (SQLite has no date type).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column)  # type: ignore[union-attr,arg-type]
                        for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(fields))
            cursor.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


#: SQLite page cache while a run is stored, in KiB (the default is 2 MiB)
SQLITE_CACHE_KIB = 256 * 1024


def roomy_cache() -> None:
    """Give SQLite a page cache that holds the indexes a run writes into.

    With the default 2 MiB every link inserted into the record indexes reads
    pages back from the file; this connection only, memory given back on close.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
