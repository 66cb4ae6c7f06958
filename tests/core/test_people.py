"""Age and adulthood: one reckoning for the door, consent, the portal and households."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.people import ADULT_AGE, adult_born_by, adults_on, age_on, is_adult


@pytest.mark.parametrize(("born", "day", "age"), [
    (date(2008, 6, 2), date(2026, 6, 1), 17),  # the day before the 18th birthday
    (date(2008, 6, 2), date(2026, 6, 2), 18),  # the birthday itself
    (date(2008, 2, 29), date(2026, 2, 28), 17),  # a leap-day birthday comes on 1 March...
    (date(2008, 2, 29), date(2026, 3, 1), 18),  # ...in years without one
    (date(2026, 6, 1), date(2026, 6, 1), 0),
])
def test_age_counts_whole_years_from_the_birthday(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age
    assert is_adult(born, day) is (age >= ADULT_AGE)


def test_an_unknown_date_of_birth_has_no_age_and_counts_as_an_adult() -> None:
    assert age_on(None, date(2026, 6, 1)) is None
    assert is_adult(None, date(2026, 6, 1))  # the safer side: nobody else sees or decides for them


DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def _birthday(born: date, age: int) -> date:
    """The day someone turns ``age``: a leap-day birthday falls on 1 March in other years."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


@given(born=DAYS, day=DAYS)
def test_age_is_the_birthdays_reached(born: date, day: date) -> None:
    age = age_on(born, day)
    assert age is not None
    if day >= born:
        assert _birthday(born, age) <= day < _birthday(born, age + 1)


@given(pairs=st.lists(st.tuples(st.none() | DAYS, DAYS), min_size=1, max_size=30))
def test_households_reckon_adulthood_exactly_as_everyone_else(pairs: list[tuple[date | None, date]]) -> None:
    born = pd.Series([pd.Timestamp(b) if b else pd.NaT for b, _ in pairs])
    day = pd.Series([pd.Timestamp(d) for _, d in pairs])
    assert adults_on(born, day).tolist() == [is_adult(b, d) for b, d in pairs]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.dates(min_value=date(1920, 1, 1), max_value=date(2100, 12, 31)))
def test_the_last_adult_birth_date_selects_exactly_the_adults(born: date, day: date) -> None:
    """Queries that pick children by date of birth (scoring, the demo's parents) agree with ``is_adult``, 29 February too."""
    assert (born <= adult_born_by(day)) == is_adult(born, day)


def test_on_29_february_someone_born_on_the_28th_eighteen_years_before_is_an_adult() -> None:
    assert adult_born_by(date(2028, 2, 29)) == date(2010, 2, 28)
