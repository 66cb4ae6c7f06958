"""URL parameters famlink reads: ``<number:...>`` for ids that are numbers, ``<name:...>`` for the rest.

``<number:...>`` is an id written in ASCII digits, read by the one parser
(``famlink.core.digits``); ``<name:...>`` is a public id, a reference, a
model's id, a purpose or a format, written in ASCII letters, digits, ``.``,
``_``, ``-`` and ``~`` (every id famlink makes is). Anything else in their
place (``²``, ``١٢``, a 30-digit number, a NUL byte, which PostgreSQL
refuses in any string) matches no route, so it is "page not found" before
any view or lookup runs. Django's own ``<str:...>`` lets all of that through.
"""

from __future__ import annotations

from django.urls import register_converter

from famlink.core.digits import MOST_DIGITS, ascii_number

#: The characters of ``<name:...>``: RFC 3986's unreserved characters.
NAME_CHARACTERS = "A-Za-z0-9._~-"
NAME_LONGEST = 100


class NumberConverter:
    regex = f"[0-9]{{1,{MOST_DIGITS}}}"  # [0-9], not \d: \d matches every script's digits

    def to_python(self, value: str) -> int:
        number = ascii_number(value)
        if number is None:
            raise ValueError(f"not an id: {value!r}")  # Django: this route does not match
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


class NameConverter:
    regex = f"[{NAME_CHARACTERS}]{{1,{NAME_LONGEST}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "number")
register_converter(NameConverter, "name")
