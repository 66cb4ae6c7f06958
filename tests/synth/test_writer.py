"""Joining the workers' part files into the run's files."""

from __future__ import annotations

import csv
import io
import random
from itertools import islice
from pathlib import Path

import pytest

from famlink.synth.csvrows import CsvRows
from famlink.synth.extracts import EXTRACTS
from famlink.synth.identifiers import MAX_FAMILIES, ROW_SPACE
from famlink.synth.writer import _append_file


def test_joining_parts_keeps_every_byte_in_order_with_or_without_the_kernel_copy(tmp_path: Path) -> None:
    first, second = b"header\n" + b"a,1\n" * 50_000, b"b,2\n" * 70_000
    part = tmp_path / "part.csv"
    part.write_bytes(second)
    with (tmp_path / "joined.csv").open("wb") as out:
        out.write(first)  # still in Python's buffer: must reach the file before the kernel appends
        with part.open("rb") as src:
            _append_file(src, out)
        out.write(b"tail\n")
    assert (tmp_path / "joined.csv").read_bytes() == first + second + b"tail\n"
    fallback = io.BytesIO()  # no file descriptor: the plain Python copy
    fallback.write(first)
    _append_file(io.BytesIO(second), fallback)
    assert fallback.getvalue() == first + second


def test_fast_csv_rows_are_byte_identical_to_the_csv_module() -> None:
    pieces = ["", "a", "Smith", "O'Neil", "x,y", 'say "hi"', "two\nlines", "cr\r", " ", ",", '"']
    rng = random.Random(5)
    rows: list[tuple[list[str], tuple[int, ...]]] = [([""], ()), (["", ""], ()), (["a"], ())]
    for _ in range(3_000):
        fields = [rng.choice(pieces) + rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        quoted = tuple(i for i in range(len(fields)) if rng.random() < 0.3)
        rows.append((fields, quoted))
    rows.append((["1", 2, None], ()))  # not strings: left to the csv module
    fast, expected = io.StringIO(), io.StringIO()
    out = CsvRows(fast)
    reference = csv.writer(expected, lineterminator="\n")
    for fields, quoted in rows:
        wrapped = [f'"{f}"' if i in quoted else f for i, f in enumerate(fields)]
        out.write(wrapped, quoted)
        reference.writerow(fields)
    assert fast.getvalue() == expected.getvalue()


def test_stepped_row_keys_match_row_key() -> None:
    for ex in EXTRACTS:
        keys = ex.ids.row_keys(123_456)
        assert [next(keys) for _ in range(50)] == [ex.ids.row_key(123_456, s) for s in range(50)]
    keys = EXTRACTS[0].ids.row_keys(MAX_FAMILIES)
    assert list(islice(keys, ROW_SPACE))[-1] == EXTRACTS[0].ids.row_key(MAX_FAMILIES, ROW_SPACE - 1)
    with pytest.raises(OverflowError):
        next(keys)
