"""Ids and numbers written in text (URLs, query strings, settings): ASCII digits, nothing else.

``str.isdigit()`` accepts ``²`` and ``int()`` then refuses it (a crash), while
``int()`` reads ``١٢`` (Arabic-Indic digits), `` 12 `` and ``1_2`` as 12 (a
different id than the one written). Every id or number famlink takes from
text goes through ``ascii_number``, so the check and the reading are one rule.
"""

from __future__ import annotations

from famlink.core.errors import InvalidInput

#: Database ids are 64-bit signed integers; 19 digits hold every one of them.
LARGEST = 2**63 - 1
MOST_DIGITS = len(str(LARGEST))


def ascii_number(raw: str) -> int | None:
    """The whole number ``raw`` spells in the digits 0-9 alone, or ``None`` for anything else."""
    if not (0 < len(raw) <= MOST_DIGITS and raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= LARGEST else None


def whole_number(raw: str, *, where: str, what: str = "a whole number") -> int:
    """``ascii_number``, or a message naming ``where`` the number was expected."""
    number = ascii_number(raw)
    if number is None:
        raise InvalidInput(f"must be {what}, written with the digits 0 to 9 only", where=where)
    return number
