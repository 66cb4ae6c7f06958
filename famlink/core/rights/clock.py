"""The statutory clock for rectification and subject access requests.

UK GDPR gives one calendar month (Articles 12(3), 15, 16). Following the
ICO's guidance, the month runs from the day the request arrives to the
corresponding date in the next month (received 3 September, due 3 October);
where that date does not exist (31 January) it is the last day of the next
month. A deadline on a
weekend moves to the next working day. Bank holidays are not modelled: a
council's own calendar would move them, never earlier.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

#: "Due soon" starts this many days before the deadline.
DUE_SOON_DAYS = 7


class Clock(StrEnum):
    ON_TIME = "clock:on_time"
    DUE_SOON = "clock:due_soon"
    OVERDUE = "clock:overdue"
    CLOSED = "clock:closed"

    @property
    def label(self) -> str:
        return {"clock:on_time": "On time", "clock:due_soon": "Due soon",
                "clock:overdue": "Overdue", "clock:closed": "Closed"}[self.value]


def _add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def statutory_due(received: date) -> date:
    """The last day to answer a request received on ``received``."""
    due = _add_month(received)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def clock_for(due: date, today: date, *, closed: bool) -> Clock:
    """Where a request stands against its deadline."""
    if closed:
        return Clock.CLOSED
    if today > due:
        return Clock.OVERDUE
    if (due - today).days <= DUE_SOON_DAYS:
        return Clock.DUE_SOON
    return Clock.ON_TIME
