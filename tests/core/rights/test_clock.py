"""The statutory month, as the ICO counts it, and where a request stands against it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from famlink.core.rights import Clock, clock_for, statutory_due


def test_a_request_is_due_on_the_same_date_next_month() -> None:
    assert statutory_due(date(2026, 9, 3)) == date(2026, 10, 5)  # 3 October 2026 is a Saturday: next Monday
    assert statutory_due(date(2026, 11, 10)) == date(2026, 12, 10)


def test_a_date_missing_from_next_month_gives_its_last_day() -> None:
    assert statutory_due(date(2025, 1, 31)) == date(2025, 2, 28)  # a Friday
    assert statutory_due(date(2027, 1, 31)) == date(2027, 3, 1)  # 28 February 2027 is a Sunday
    assert statutory_due(date(2028, 1, 31)) == date(2028, 2, 29)  # leap year


def test_december_rolls_into_the_next_year() -> None:
    assert statutory_due(date(2026, 12, 15)) == date(2027, 1, 15)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 1)))
def test_the_deadline_is_a_weekday_about_a_month_later(received: date) -> None:
    due = statutory_due(received)
    assert due.weekday() < 5
    assert 28 <= (due - received).days <= 33


def test_the_clock_reads_on_time_due_soon_overdue_closed() -> None:
    due = date(2026, 12, 10)
    assert clock_for(due, due - timedelta(days=8), closed=False) is Clock.ON_TIME
    assert clock_for(due, due - timedelta(days=7), closed=False) is Clock.DUE_SOON
    assert clock_for(due, due, closed=False) is Clock.DUE_SOON
    assert clock_for(due, due + timedelta(days=1), closed=False) is Clock.OVERDUE
    assert clock_for(due, due + timedelta(days=99), closed=True) is Clock.CLOSED
