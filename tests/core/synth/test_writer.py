"""Joining the workers' part files into the run's files."""

from __future__ import annotations

import io
from pathlib import Path

from famlink.core.synth.writer import _append_file


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
