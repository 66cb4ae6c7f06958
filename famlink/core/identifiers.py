"""The check rules of the identifiers agencies issue: NHS numbers and UPNs.

One definition each, used by ingest (is this cell a real NHS number?), by
linkage (may this number be trusted as evidence?) and by the synthetic
agencies (issue numbers that pass). Digits are ASCII digits only: ``²`` passes
``str.isdigit()`` and then crashes ``int()``.
"""

from __future__ import annotations

from operator import mul

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

#: DfE check-letter table: remainder mod 23 -> letter (no I, O or S).
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def nhs_check_digit(first_nine: str) -> int | None:
    """The NHS number's modulus 11 check digit (NHS Data Dictionary), or None where no number is valid."""
    if len(first_nine) != len(NHS_WEIGHTS) or not _ascii_digits(first_nine):
        raise ValueError("an NHS number's check digit needs its first nine digits (0-9)")
    check = 11 - sum(map(mul, map(int, first_nine), NHS_WEIGHTS)) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_is_valid(number: object) -> bool:
    """True for ten ASCII digits whose last digit is the correct check digit."""
    if not isinstance(number, str) or len(number) != 10 or not _ascii_digits(number):
        return False
    return nhs_check_digit(number[:9]) == int(number[9])


def upn_check_letter(last_twelve: str) -> str:
    """The DfE check letter of a Unique Pupil Number: characters 2-13 weighted by position, mod 23."""
    if not _ascii_digits(last_twelve):
        raise ValueError("a UPN's check letter needs its twelve digits (0-9)")
    total = sum(map(mul, map(int, last_twelve), range(2, 2 + len(last_twelve))))
    return UPN_CHECK_LETTERS[total % 23]


def upn_is_valid(upn: str) -> bool:
    """True for a check letter and twelve ASCII digits that agree."""
    if len(upn) != 13 or not _ascii_digits(upn[1:]):
        return False
    return upn[0] == upn_check_letter(upn[1:])
