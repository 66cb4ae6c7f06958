"""Turning one true event into the extract row an agency would actually send.

The emitter is where truth meets the clerk: it looks the person up as they
were on the event date (name, address), applies the documented faults, gives
the row the agency's own key, and writes the row, its ground-truth line and
the faults it carries. Everything is streamed: nothing is held per run.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date
from operator import itemgetter
from typing import TextIO

from .csvrows import CsvRows
from .extracts import EXTRACTS, SCHOOL, Extract
from .families import Household, Person
from .faults import (
    DOB_DAY_MONTH_SWAP_RATE,
    DUPLICATE_RATE,
    INVALID_ROW_RATE,
    NAME_TYPO_RATE,
    NHS_MISSING_RATE,
    NHS_MISTYPED_RATE,
    NICKNAME_RATE,
    POLICE_DOB_MISSING_RATE,
    STALE_ADDRESS_RATE,
    WRONG_PERSON_RATE,
    impossible_date,
    nickname,
    typo,
)
from .identifiers import mistype_nhs_number

TRUTH_HEADER = ["source", "record_key", "person_id", "household_id", "wrong_person", "true_status"]
FAULTS_HEADER = ["source", "record_key", "fault"]
STALE_WINDOW_DAYS = 730  # an old address lingers for up to two years after a move
QUOTED_TAKES = ("address", "full_name")  # "line, locality" and "SURNAME, First": CSV quotes them

# Date format -> day ordinal -> text, kept for the whole process: a worker writes
# many chunks, and strftime was a tenth of its time when each chunk started afresh.
# Bounded by the days in use (about 35,000 a format).
_DATE_TEXTS: dict[str, dict[int, str]] = {}


class Emitter:
    """Writes rows for one chunk of households to its own set of files."""

    def __init__(self, extract_files: dict[str, TextIO], truth: TextIO, fault_file: TextIO):
        self.writers = {name: CsvRows(fh).write for name, fh in extract_files.items()}
        # Truth and fault lines hold only identifiers and codes (no comma, quote or
        # line break), so they are written as text: the csv module's cost, saved.
        self.truth = truth.write
        self.faults = fault_file.write
        self.rows = {ex.name: 0 for ex in EXTRACTS}
        self._dates = {ex.name: _DATE_TEXTS.setdefault(ex.date_format, {}) for ex in EXTRACTS}
        self._takes = {ex.name: tuple(c.take for c in ex.columns) for ex in EXTRACTS}
        self._blank_cells = {name: dict.fromkeys(takes, "") for name, takes in self._takes.items()}
        self._row_of = {name: itemgetter(*takes) for name, takes in self._takes.items()}
        self._quoted = {
            name: tuple(i for i, take in enumerate(takes) if take in QUOTED_TAKES)
            for name, takes in self._takes.items()
        }
        self._full_name = {name for name, takes in self._takes.items() if "full_name" in takes}
        self._sex_codes = {ex.name: dict(zip("FMU", ex.sex_codes, strict=True)) for ex in EXTRACTS}
        self.household: Household | None = None
        self.rng = random.Random(0)
        self._keys: dict[str, Iterator[str]] = {}  # extract -> the household's next row keys
        self._refs: dict[str, dict[int, str]] = {}  # extract -> member -> the agency's id

    def start(self, household: Household, rng: random.Random) -> None:
        """Begin a household: its rows are keyed from its own index."""
        self.household = household
        self.rng = rng
        self._keys = {}
        self._refs = {ex.name: {} for ex in EXTRACTS}

    def date_text(self, ex: Extract, day: int) -> str:
        cache = self._dates[ex.name]
        text = cache.get(day)
        if text is None:
            text = cache[day] = date.fromordinal(day).strftime(ex.date_format)
        return text

    def _person_ref(self, ex: Extract, member: int) -> str:
        refs = self._refs[ex.name]
        ref = refs.get(member)
        if ref is None:
            assert self.household is not None
            ref = refs[member] = ex.ids.person_ref(self.household.family_index, member)
        return ref

    def _keyed_person(self, ex: Extract, subject: Person) -> Person | None:
        """Another household member whose details get keyed instead (or None)."""
        assert self.household is not None
        others = [p for p in self.household.members if p is not subject]
        same_role = [p for p in others if p.role == subject.role]
        if same_role:
            return self.rng.choice(same_role)
        if others and ex is not SCHOOL:
            return self.rng.choice(others)
        return None

    def emit(
        self,
        ex: Extract,
        subject: Person,
        day: int,
        values: dict[str, str],
        true_status: str = "",
        noted: tuple[str, ...] = (),
    ) -> None:
        """Write one row about ``subject`` on ``day`` (plus any duplicate re-send).

        ``noted`` names faults the agency logic already made (a cancellation
        recorded as "did not attend"), so the fault log stays complete.
        """
        household = self.household
        assert household is not None
        rng = self.rng
        random_ = rng.random
        name = ex.name
        found = list(noted)
        person = subject
        if random_() < WRONG_PERSON_RATE:
            other = self._keyed_person(ex, subject)
            if other is not None:
                person = other
                found.append("wrong_person")

        first = person.first_name
        if random_() < NICKNAME_RATE:
            nick = nickname(rng, first)
            if nick is not None:
                first = nick
                found.append("nickname")
        surnames = person.surname_values
        surname = surnames[0] if len(surnames) == 1 else person.surname_at(day)
        if random_() < NAME_TYPO_RATE:
            if random_() < 0.5:
                first = typo(rng, first)
            else:
                surname = typo(rng, surname)
            found.append("name_typo")

        dates = self._dates[name]
        dob = person.dob
        dob_text = dates.get(dob) or self.date_text(ex, dob)
        if random_() < DOB_DAY_MONTH_SWAP_RATE:
            born = date.fromordinal(dob)
            if born.day <= 12 and born.day != born.month:
                dob_text = born.replace(month=born.day, day=born.month).strftime(ex.date_format)
                found.append("dob_day_month_swapped")
        if name == "police_incidents" and random_() < POLICE_DOB_MISSING_RATE:
            dob_text = ""
            found.append("dob_missing")

        index = bisect_right(person.address_days, day) - 1
        if index < 0:
            index = 0
        elif (
            index > 0
            and day - person.address_days[index] < STALE_WINDOW_DAYS
            and values.get("sensitive") != "true"  # a refuge tenancy is never written at the old home
            and random_() < STALE_ADDRESS_RATE
        ):
            index -= 1
            found.append("stale_address")
        address = person.address_values[index]

        nhs = ""
        if ex.health:
            nhs = person.nhs
            if random_() < NHS_MISSING_RATE:
                nhs = ""
                found.append("nhs_missing")
            elif random_() < NHS_MISTYPED_RATE:
                nhs = mistype_nhs_number(nhs, rng.randrange(1000))
                found.append("nhs_mistyped")

        if random_() < INVALID_ROW_RATE:
            year = date.fromordinal(day).year
            event_text = impossible_date(date(year, 2, 28).strftime(ex.date_format))
            found.append("invalid_date")
        else:
            event_text = dates.get(day) or self.date_text(ex, day)

        address_text = f'"{address.line}, {address.locality}"'  # quoted: see QUOTED_TAKES
        if ex.upper_case:
            address_text = address_text.upper()
        keys = self._keys.get(name)
        if keys is None:
            keys = self._keys[name] = ex.ids.row_keys(household.family_index)
        key = next(keys)
        cells = self._blank_cells[name].copy()  # every column of the extract, "" until set
        cells.update(values)
        cells["key"] = key
        cells["person_ref"] = self._refs[name].get(person.member) or self._person_ref(
            ex, person.member
        )
        cells["nhs"] = nhs
        cells["upn"] = person.upn
        cells["first_name"] = first
        cells["surname"] = surname
        if name in self._full_name:
            cells["full_name"] = f'"{surname.upper()}, {first}"'  # quoted: see QUOTED_TAKES
        cells["dob"] = dob_text
        cells["sex"] = self._sex_codes[name][person.sex]
        cells["address"] = address_text
        cells["postcode"] = address.postcode
        cells["event_date"] = event_text
        row = list(self._row_of[name](cells))

        write_truth = self.truth
        household_id = household.household_id
        person_id = subject.person_id
        wrong = "1" if found and "wrong_person" in found else "0"
        write_row = self.writers[name]
        quoted = self._quoted[name]
        write_row(row, quoted)
        truth_tail = f",{person_id},{household_id},{wrong},{true_status}\n"
        write_truth(f"{name},{key}{truth_tail}")
        for fault in found:
            self.faults(f"{name},{key},{fault}\n")
        count = 1
        if random_() < DUPLICATE_RATE:
            resend = next(keys)
            row[0] = resend
            write_row(row, quoted)
            write_truth(f"{name},{resend}{truth_tail}")
            for fault in [*found, "duplicate"]:
                self.faults(f"{name},{resend},{fault}\n")
            count = 2
        self.rows[name] += count
