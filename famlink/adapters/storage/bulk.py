"""Bulk writes without the ORM: COPY on PostgreSQL, ``executemany`` on SQLite.

Ingest (20,000 rows/s) and storing a linkage run (a million links) are out
of reach through ``bulk_create``, which builds a model instance per row and
SQL per batch. Here rows are plain tuples, streamed; one function serves both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Field, Model

if TYPE_CHECKING:  # web workers never load pandas; only linkage passes its columns here
    import pandas as pd

SQLValue = bool | int | float | str | bytes | date | datetime | None  # what the driver adapts for one column

#: SQLite page cache while a linkage run is stored, in KiB (the default is 2 MiB)
SQLITE_CACHE_KIB = 256 * 1024


def _column(model: type[Model], name: str) -> str:
    """The database column behind one concrete field (``source_id`` and ``source`` both give ``source_id``)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a concrete column")
    return field.column


#: PostgreSQL column types whose binary COPY form psycopg writes straight from Python ints, floats and bytes
BINARY_COPY_TYPES = {"bigint": "int8", "integer": "int4", "smallint": "int2", "double precision": "float8",
                     "bytea": "bytea", "boolean": "bool"}


def _binary_types(model: type[Model], fields: tuple[str, ...]) -> list[str] | None:
    """The psycopg type of each column if every one is a number or bytes, else None (text COPY)."""
    types = [BINARY_COPY_TYPES.get(str(model._meta.get_field(f).db_type(connection))) for f in fields]
    return None if None in types else types  # type: ignore[return-value]


def insert_rows(model: type[Model], fields: tuple[str, ...], rows: Iterable[Sequence[SQLValue]]) -> None:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table, in the caller's transaction.

    Values go in as the database stores them: JSON fields as JSON text, dates
    and times as the driver adapts them or as ISO text (Django registers
    SQLite's adapters). On PostgreSQL a table part made only of numbers and
    bytes (a run's assignments, its packed links) is copied in the binary
    format: the server parses no text, about half the time.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(_column(model, f)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            binary = _binary_types(model, fields)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN{' (FORMAT BINARY)' if binary else ''}") as copy:
                if binary:
                    copy.set_types(binary)
                for row in rows:
                    copy.write_row(row)
        else:  # the sqlite3 cursor itself: Django's wrapper rewrites every statement's placeholders
            marks = ", ".join(["?"] * len(fields))
            cursor.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def rows_with(model: type[Model], fields: tuple[str, ...], where: dict[str, SQLValue], column: str,
              values: Sequence[str]) -> list[tuple[SQLValue, ...]]:
    """The ``fields`` of every row of ``model`` equal to ``where`` whose ``column`` is one of ``values``,
    through an index on ``column``, in the caller's transaction: one statement however many values
    (``json_each`` on SQLite, ``= ANY`` on PostgreSQL), where the ORM's ``__in`` takes a parameter
    for each and SQLite allows only so many."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, f)) for f in fields)
    equal = " AND ".join(f"{quote(_column(model, f))} = %s" for f in where)
    postgresql = connection.vendor == "postgresql"
    listed = "= ANY(%s)" if postgresql else "IN (SELECT value FROM json_each(%s))"
    with connection.cursor() as cursor:
        if postgresql:  # costing each of a few thousand lookups as a random read, PostgreSQL would rather
            cursor.execute("SET LOCAL enable_seqscan = off")  # read the whole table: 4 times slower at 300,000 rows
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {equal} AND {quote(_column(model, column))} {listed}",
                       [*where.values(), list(values) if postgresql else json.dumps(list(values))])
        found = cursor.fetchall()
        if postgresql:
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
        return found


def delete_rows(model: type[Model], field: str, value: SQLValue) -> int:
    """Delete every row of ``model`` whose ``field`` is ``value`` in one statement, in the caller's
    transaction: ``QuerySet.delete`` would first read every row to look for related ones (the
    caller deletes those first); how many went."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {connection.ops.quote_name(_column(model, field))} = %s", [value])
        return int(cursor.rowcount)


def iso_days(moments: pd.Series) -> list[str | None]:
    """A pandas column of datetimes as ISO dates (None where missing), in one call, not one per row.

    Both databases take ISO text for a date column, through COPY and ``executemany``.
    """
    return moments.dt.strftime("%Y-%m-%d").astype(object).where(moments.notna(), None).tolist()  # type: ignore[no-any-return]


def roomy_cache() -> None:
    """Give SQLite a page cache that holds the indexes a linkage run writes into.

    With the default 2 MiB every link inserted into the record indexes reads
    pages back from the file; this connection only, memory given back on close.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


#: ids asked for at a time in one IN clause (SQLite allows a few thousand parameters to a statement)
KEYS_AT_ONCE = 500


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last shorter): IN clauses and batches the database takes."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
