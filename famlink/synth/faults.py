"""Data-quality faults, at documented rates (docs/synth.md lists this table).

Every rate is the probability that one extract row gets the fault, applied
independently, so the expected count is rate x eligible rows. Rates are kept
here and nowhere else so that the documentation and the tests read one table.
"""

from __future__ import annotations

import random
import string

from .names import NICKNAMES

# fault name -> (rate, which rows are eligible)
NAME_TYPO_RATE = 0.02  # any row: one edit in the first name or surname
NICKNAME_RATE = 0.04  # rows whose first name has a familiar form
DOB_DAY_MONTH_SWAP_RATE = 0.005  # rows with a date of birth whose day is 1-12
NHS_MISSING_RATE = 0.15  # health rows: NHS number left blank
NHS_MISTYPED_RATE = 0.002  # health rows with an NHS number: one digit wrong
STALE_ADDRESS_RATE = 0.15  # rows dated after a move: the previous address
DUPLICATE_RATE = 0.005  # any row: re-sent again, same content, new key
WRONG_PERSON_RATE = 0.003  # any row: keyed against another household member
INVALID_ROW_RATE = 0.002  # any row: an impossible event date (31 February)
DNA_MISRECORDED_RATE = 0.25  # hospital cancellations recorded as "did not attend"
POLICE_DOB_MISSING_RATE = 0.2  # police rows: date of birth not taken

FAULT_RATES: dict[str, float] = {
    "name_typo": NAME_TYPO_RATE,
    "nickname": NICKNAME_RATE,
    "dob_day_month_swapped": DOB_DAY_MONTH_SWAP_RATE,
    "nhs_missing": NHS_MISSING_RATE,
    "nhs_mistyped": NHS_MISTYPED_RATE,
    "stale_address": STALE_ADDRESS_RATE,
    "duplicate": DUPLICATE_RATE,
    "wrong_person": WRONG_PERSON_RATE,
    "invalid_date": INVALID_ROW_RATE,
    "dna_misrecorded": DNA_MISRECORDED_RATE,
    "dob_missing": POLICE_DOB_MISSING_RATE,
}

_LETTERS = string.ascii_lowercase
_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh",
    "h": "gj", "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm",
    "o": "ip", "p": "o", "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi",
    "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}  # fmt: skip


def typo(rng: random.Random, name: str) -> str:
    """One edit, as a keying slip makes it: substitute, drop, double or swap."""
    if len(name) < 3:
        return name + rng.choice(_LETTERS)
    i = rng.randrange(1, len(name))
    kind = rng.random()
    if kind < 0.4:
        c = name[i].lower()
        new = rng.choice(_KEYBOARD_NEIGHBOURS.get(c, _LETTERS))
        return name[:i] + new + name[i + 1 :]
    if kind < 0.6:
        return name[:i] + name[i + 1 :]
    if kind < 0.8:
        return name[:i] + name[i] + name[i:]
    if i < len(name) - 1 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i + 1 :]


def nickname(rng: random.Random, first_name: str) -> str | None:
    """A familiar form of the name, or None where the name has none."""
    forms = NICKNAMES.get(first_name)
    return rng.choice(forms) if forms else None


def impossible_date(text_of_28_feb: str) -> str:
    """Turn a formatted 28 February into 30 February, in the agency's own format."""
    return text_of_28_feb.replace("28", "30", 1)
