"""When a record's retention ends: one date, whichever page or download shows it."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from famlink.core.sources.retention import retention_end


def test_counted_from_the_event_or_else_from_arrival() -> None:
    assert retention_end(date(2020, 5, 4), date(2024, 1, 1), 7) == date(2027, 5, 4)
    assert retention_end(None, date(2024, 1, 1), 7) == date(2031, 1, 1)


def test_a_leap_day_record_ends_on_28_february_in_a_common_year() -> None:
    assert retention_end(date(2024, 2, 29), date(2024, 3, 1), 1) == date(2025, 2, 28)
    assert retention_end(date(2024, 2, 29), date(2024, 3, 1), 4) == date(2028, 2, 29)


@given(event=st.none() | st.dates(max_value=date(2900, 12, 31)), received=st.dates(max_value=date(2900, 12, 31)),
       years=st.integers(min_value=0, max_value=99))
def test_kept_for_exactly_the_years_and_never_longer(event: date | None, received: date, years: int) -> None:
    start = event or received
    end = retention_end(event, received, years)
    assert end.year == start.year + years
    assert (end.month, end.day) <= (start.month, start.day)
    assert (start.month, start.day) == (end.month, end.day) or (start.month, start.day, end.day) == (2, 29, 28)
