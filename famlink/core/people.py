"""A person's age, and when they are an adult: one reckoning for every rule that asks.

Parental responsibility ends at 18, so the policy door (a parent sees a
child's records), consent (who decides), the portal and the households
linkage builds all ask the same two questions. They are answered here only,
so a child cannot be an adult to one part of famlink and a child to another.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a web worker never loads pandas (tests/web/test_worker_footprint.py)
    import pandas as pd

ADULT_AGE = 18


def age_on(born: date | None, day: date) -> int | None:
    """Whole years lived on ``day`` (None if the date of birth is not known).

    A birthday counts from its own day; someone born on 29 February has
    theirs on 1 March in other years.
    """
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_adult(born: date | None, day: date) -> bool:
    """18 or over on ``day``. An unknown date of birth counts as an adult: the safer side.

    Safer because an adult's records are theirs alone: nobody else is shown
    them, and nobody decides for them.
    """
    age = age_on(born, day)
    return age is None or age >= ADULT_AGE


def adult_born_by(day: date) -> date:
    """The last birth date of an adult on ``day``: for queries that select children or adults by date of birth.

    ``born <= adult_born_by(day)`` is ``is_adult(born, day)`` for a known
    date of birth; on 29 February the day 18 years before does not exist, and
    someone born on the 28th of that month is already 18.
    """
    if (day.month, day.day) == (2, 29):
        return day.replace(year=day.year - ADULT_AGE, day=28)
    return day.replace(year=day.year - ADULT_AGE)


def adults_on(born: pd.Series, day: pd.Series) -> pd.Series:
    """``is_adult`` for many people at once (datetime columns, aligned; a missing birth date is an adult)."""
    born, day = born.astype("datetime64[ns]"), day.astype("datetime64[ns]")
    before_birthday = (day.dt.month * 100 + day.dt.day) < (born.dt.month * 100 + born.dt.day)
    age = day.dt.year - born.dt.year - before_birthday.astype(int)
    return born.isna() | (age >= ADULT_AGE)
