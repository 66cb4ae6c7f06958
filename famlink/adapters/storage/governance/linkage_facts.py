"""The facts a linkage run puts to the policy, read for a whole run at once.

A run decides every person (300,000 at a million records), so these are
whole-table reads, filtered by the caller, without Django's per-value
converters: on SQLite those turn each stored date into an aware datetime one
Python call at a time, which cost more than all the decisions together.
Dates are parsed here instead (SQLite stores ISO text, in UTC; PostgreSQL's
driver returns them ready).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import Consent
from famlink.core.taxonomy import Purpose


def _rows(query: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(20000):
            yield from batch


def _when(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def people() -> Iterator[tuple[int, str, date | None, int | None]]:
    """Every person: pk, public id, date of birth, the person they were merged into."""
    for pk, public_id, born, into in _rows(Person.objects.values_list("pk", "public_id", "date_of_birth",
                                                                       "merged_into_id").order_by()):
        yield pk, public_id, _day(born), into


def general_consents(purpose: Purpose) -> Iterator[tuple[int, str, str, datetime, datetime | None, int]]:
    """Every general (not one organisation's) consent for ``purpose``, oldest first:
    person pk, level, state, recorded at, expires at, version."""
    query = (Consent.objects.filter(purpose=purpose.value, organisation__isnull=True)
             .order_by("recorded_at").values_list("person_id", "level", "state", "recorded_at", "expires_at",
                                                  "version"))
    for person, level, state, recorded, expires, version in _rows(query):
        recorded_at = _when(recorded)
        assert recorded_at is not None
        yield person, level, state, recorded_at, _when(expires), version
