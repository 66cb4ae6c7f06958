"""Identifiers as agencies issue them: NHS numbers, UPNs and local ids.

Every identifier is derived from a person's or row's position by a bijective
scramble, so identifiers are unique without any shared state between worker
processes, yet consecutive people do not get consecutive numbers (a linker
must not be able to recover households from id order).
"""

from __future__ import annotations

from collections.abc import Iterator

from famlink.core.identifiers import nhs_check_digit, upn_check_letter

# The synthetic council's DfE local-authority number (first three UPN digits).
LA_CODE = "383"

ROW_SPACE = 10_000  # rows a family may contribute to one source
PERSON_SPACE = 100  # people a family may hold
MAX_FAMILIES = 999_999


def scramble(value: int, multiplier: int, offset: int, modulus: int) -> int:
    """Map ``value`` to ``[0, modulus)`` one-to-one (multiplier coprime to modulus)."""
    return (value * multiplier + offset) % modulus






def nhs_number(person_index: int) -> str:
    """A unique, valid NHS number for the person at a global index.

    Eight scrambled digits get a leading 4 (or 6 when 4 gives no valid check
    digit); the two prefixes never collide, so numbers stay unique.
    """
    body = f"{scramble(person_index, 48_271_933, 1_357_911, 100_000_000):08d}"
    for prefix in "4679":
        check = nhs_check_digit(prefix + body)
        if check is not None:
            return f"{prefix}{body}{check}"
    raise AssertionError("unreachable: one of four prefixes always has a check digit")


def mistype_nhs_number(number: str, pick: int) -> str:
    """The number with one digit miskeyed: mod 11 catches every such slip."""
    position = pick % 9
    digit = (int(number[position]) + 1 + pick % 8) % 10
    return number[:position] + str(digit) + number[position + 1 :]






def upn(child_index: int, year_allocated: int) -> str:
    """A unique UPN: LA code, establishment (4), year (2), serial (3).

    Establishment and serial together are seven scrambled digits, unique per
    child, so the year can change without breaking uniqueness.
    """
    serial = f"{scramble(child_index, 7_654_321, 1_234_567, 10_000_000):07d}"
    digits = f"{LA_CODE}{serial[:4]}{year_allocated % 100:02d}{serial[4:]}"
    return upn_check_letter(digits) + digits


class LocalIds:
    """One agency's own numbering for its rows and for the people it knows."""

    __slots__ = ("person_multiplier", "person_prefix", "row_multiplier", "row_prefix")

    def __init__(self, row_prefix: str, person_prefix: str, multiplier: int) -> None:
        self.row_prefix = row_prefix
        self.person_prefix = person_prefix
        self.row_multiplier = multiplier
        self.person_multiplier = multiplier % 100_000_000 | 1

    def row_key(self, family_index: int, sequence: int) -> str:
        """The key of a family's ``sequence``-th row in this source."""
        value = scramble(
            family_index * ROW_SPACE + sequence, self.row_multiplier, 5_432_109_876, 10**10
        )
        return f"{self.row_prefix}{value:010d}"

    def row_keys(self, family_index: int) -> Iterator[str]:
        """``row_key(family_index, 0)``, ``row_key(family_index, 1)``, ... computed by
        stepping the scramble (one addition a key); OverflowError past ROW_SPACE."""
        modulus, step, prefix = 10**10, self.row_multiplier, self.row_prefix
        value = scramble(family_index * ROW_SPACE, step, 5_432_109_876, modulus)
        for _ in range(ROW_SPACE):
            yield prefix + str(value).zfill(10)  # as f"{value:010d}", in half the time
            value = (value + step) % modulus
        raise OverflowError(f"a family produced over {ROW_SPACE} rows for {prefix} keys")

    def person_ref(self, family_index: int, member: int) -> str:
        """The agency's id for one person (stable across that person's rows)."""
        value = scramble(
            family_index * PERSON_SPACE + member, self.person_multiplier, 31_415_926, 100_000_000
        )
        return self.person_prefix + str(value).zfill(8)
