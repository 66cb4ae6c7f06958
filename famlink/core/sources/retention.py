"""How long a record is kept: its source's retention years, counted from what it records.

A parent's page and download say when each record's retention ends; this is
the one place that works the date out.
"""

from __future__ import annotations

from datetime import date


def retention_end(event_date: date | None, received_on: date, retention_years: int) -> date:
    """The day a record's retention ends.

    Counted from the event the record is about, or from the day it arrived
    when it has no event date. A record of 29 February ends on 28 February in
    a year that has no 29th (never later than its years allow).
    """
    start = event_date or received_on
    try:
        return start.replace(year=start.year + retention_years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + retention_years, day=28)
