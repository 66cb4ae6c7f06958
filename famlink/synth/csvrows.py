"""CSV rows as ``csv.writer(fh, lineterminator="\\n")`` writes them, in less time.

The csv module scans every character of every field in C, which made writing
a sixth of the generator's CPU. Almost every synthetic row needs no quoting
at all, or quoting only of fields known to hold a comma (an address written
"14 Church Road, Armley"), so a row is joined with ``str.join`` and checked
with a few whole-line scans; any row that could need more (a quote, a line
break, a comma elsewhere) goes to the csv module, so the bytes never differ.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO


class CsvRows:
    """Writes rows of strings to ``fh`` exactly as the csv module's default dialect
    would with ``lineterminator="\\n"``."""

    __slots__ = ("_slow", "_write")

    def __init__(self, fh: TextIO) -> None:
        self._write = fh.write
        self._slow = csv.writer(fh, lineterminator="\n").writerow

    def write(self, fields: Sequence[str], quoted: tuple[int, ...] = ()) -> None:
        """Write one row. The fields at the positions in ``quoted`` come already wrapped
        in double quotes, because they hold a comma; no other field needs quoting."""
        try:
            text = ",".join(fields)
        except TypeError:  # a field that is not a string: let the csv module convert it
            self._slow(_unwrap(fields, quoted))
            return
        commas = len(fields) - 1
        for position in quoted:
            inner = fields[position].count(",")
            if not inner:  # no comma after all: CSV would not quote it
                commas = -1
                break
            commas += inner
        if (
            text.count(",") != commas
            or text.count('"') != 2 * len(quoted)
            or "\n" in text
            or "\r" in text
            or (not text and len(fields) == 1)  # a lone empty field is written as ""
        ):
            self._slow(_unwrap(fields, quoted))
            return
        self._write(text + "\n")


def _unwrap(fields: Sequence[str], quoted: tuple[int, ...]) -> list[str]:
    """The fields as they are, for the csv module to quote."""
    values = list(fields)
    for position in quoted:
        values[position] = values[position][1:-1]
    return values
