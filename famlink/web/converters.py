"""``<number:...>`` in a URL: an id written in ASCII digits, read by the one parser.

Anything else in that place (``²``, ``١٢``, a 30-digit number) matches no
route, so it is "page not found" before any view or lookup runs.
"""

from __future__ import annotations

from django.urls import register_converter

from famlink.core.digits import MOST_DIGITS, ascii_number


class NumberConverter:
    regex = f"[0-9]{{1,{MOST_DIGITS}}}"  # [0-9], not \d: \d matches every script's digits

    def to_python(self, value: str) -> int:
        number = ascii_number(value)
        if number is None:
            raise ValueError(f"not an id: {value!r}")  # Django: this route does not match
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(NumberConverter, "number")
