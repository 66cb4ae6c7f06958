"""Read an extract file (CSV or Parquet) safely and in bounded memory.

``scan`` reads the whole file once before anything is written, so that a
file-level fault (wrong encoding, binary content, missing columns, no rows, a
truncated last line) stops the ingest with one clear message and nothing in
the database. It also works out what the file says (``content_sha256``), by
which a file sent again is known however its bytes differ. ``rows`` then
streams the data rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from famlink.core.errors import InvalidInput
from famlink.core.sources.definition import SourceDefinition

CHUNK = 1 << 20
csv.field_size_limit(1 << 24)
LINE_END = re.compile(r"\r\n?")
#: spaces and tabs ending a line that has something else on it (a line of only spaces is a row)
TRAILING_SPACE = re.compile(r"(?<=[^ \t\n])[ \t]+(?=\n)")


@dataclass(frozen=True)
class FileScan:
    path: Path
    sha256: str
    rows_in: int
    header: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    content_sha256: str = ""


@dataclass(frozen=True)
class MisshapenRow:
    """A CSV row whose number of cells differs from the header's."""

    cells: int
    expected: int
    raw: dict[str, Any]


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def normalised_text_sha256(pieces: Iterable[str]) -> str:
    """SHA-256 of text, read in pieces, as an extract's content (docs/sources.md, extracts sent again):
    a byte-order mark at the start, which line ends (CR LF, CR or LF), spaces and tabs ending a line
    and line ends at the very end make no difference."""
    digest = hashlib.sha256()
    carry = ""  # the text after the last whole line end: the next piece may go on with it
    held = ""  # line ends not yet hashed: nothing may follow them
    first = True

    def add(lines: str) -> None:  # whole lines, each ending with "\n"
        nonlocal held
        if " \n" in lines or "\t\n" in lines:  # the search is quick, the regular expression less so
            lines = TRAILING_SPACE.sub("", lines)
        kept = lines.rstrip("\n")
        if kept:
            digest.update((held + kept).encode("utf-8", "surrogatepass"))
            held = lines[len(kept):]
        else:
            held += lines

    for piece in pieces:
        if first and piece:
            piece, first = piece.removeprefix("\ufeff"), False
        text = carry + piece
        end = max(text.rfind("\n"), text.rfind("\r"))
        if text.endswith("\r"):  # may be the first half of a CR LF
            end = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end))
        carry, lines = text[end + 1:], text[:end + 1]
        add(LINE_END.sub("\n", lines) if "\r" in lines else lines)
    if carry:
        add(LINE_END.sub("\n", carry) + "\n")
    return digest.hexdigest()


def scan(path: Path, definition: SourceDefinition) -> FileScan:
    where = str(path)
    if not path.exists():
        raise InvalidInput("file not found", where=where)
    if not path.is_file():
        raise InvalidInput("is not a file", where=where)
    if path.stat().st_size == 0:
        raise InvalidInput("the file is empty", where=where)
    if definition.file_format == "parquet" or path.suffix.lower() == ".parquet":
        return _scan_parquet(path, definition)
    return _scan_csv(path, definition)


def rows(path: Path, definition: SourceDefinition, start_after: int = 0) -> Iterator[tuple[int, dict[str, Any] | MisshapenRow]]:
    """Yield ``(row_number, row)`` for data rows after ``start_after``."""
    if definition.file_format == "parquet" or path.suffix.lower() == ".parquet":
        yield from _parquet_rows(path, definition, start_after)
    else:
        yield from _csv_rows(path, definition, start_after)


def _check_columns(header: tuple[str, ...], definition: SourceDefinition, where: str) -> tuple[str, ...]:
    missing = [c for c in definition.column_names if c not in header]
    if missing:
        raise InvalidInput(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the file has: {', '.join(header) or 'no columns'})",
            where=where,
        )
    return tuple(c for c in header if c not in definition.column_names)


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidInput(f"unknown text encoding {encoding!r} in the source definition", where=str(path)) from None
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="strict", newline="")


def _scan_csv(path: Path, definition: SourceDefinition) -> FileScan:
    where = str(path)
    with path.open("rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head and not definition.encoding.lower().startswith("utf-16"):
        raise InvalidInput("looks like a binary file, not a CSV text file", where=where)
    digest = file_sha256(path)
    count = 0
    last_cells = 0
    try:
        with _open_text(path, definition.encoding) as text:
            reader = csv.reader(text, delimiter=definition.delimiter, strict=True)
            header = tuple(h.strip().lstrip("\ufeff") for h in next(reader, []))
            if not any(header):
                raise InvalidInput("the first line is empty: expected a header row", where=where)
            ignored = _check_columns(header, definition, where)
            for record in reader:
                if "\x00" in "".join(record):
                    raise InvalidInput(f"line {reader.line_num}: contains binary data (NUL bytes)", where=where)
                if not record:
                    continue
                count += 1
                last_cells = len(record)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"is not valid {definition.encoding} text (byte 0x{exc.object[exc.start]:02x} after data row {count}); "
            "check the file's encoding or set [file] encoding in the source definition",
            where=where,
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"malformed CSV after data row {count}: {exc}; the file may be truncated", where=where) from None
    if count == 0:
        raise InvalidInput("has a header but no data rows", where=where)
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        ends_with_newline = fh.read(1) in (b"\n", b"\r")
    if not ends_with_newline and last_cells < len(header):
        raise InvalidInput(
            f"looks truncated: the last row (data row {count}) has {last_cells} of {len(header)} columns "
            "and the file does not end with a new line",
            where=where,
        )
    with _open_text(path, definition.encoding) as text:
        content = normalised_text_sha256(iter(partial(text.read, CHUNK), ""))
    return FileScan(path, digest, count, header, ignored, content)


def _csv_rows(path: Path, definition: SourceDefinition, start_after: int) -> Iterator[tuple[int, dict[str, Any] | MisshapenRow]]:
    with _open_text(path, definition.encoding) as text:
        reader = csv.reader(text, delimiter=definition.delimiter, strict=True)
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        width = len(header)
        number = 0
        for record in reader:
            if not record:
                continue
            number += 1
            if number <= start_after:
                continue
            if len(record) != width:
                raw = {f"cell_{i + 1}": v for i, v in enumerate(record)}
                yield number, MisshapenRow(len(record), width, raw)
            else:
                yield number, dict(zip(header, record, strict=True))


def _scan_parquet(path: Path, definition: SourceDefinition) -> FileScan:
    import pyarrow.parquet as pq

    where = str(path)
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InvalidInput(f"is not a readable Parquet file ({type(exc).__name__}: {str(exc)[:120]})", where=where) from None
    header = tuple(parquet.schema_arrow.names)
    ignored = _check_columns(header, definition, where)
    count = parquet.metadata.num_rows
    if count == 0:
        raise InvalidInput("has columns but no data rows", where=where)
    return FileScan(path, file_sha256(path), count, header, ignored, _parquet_content_sha256(parquet))


def _parquet_content_sha256(parquet: Any) -> str:
    """SHA-256 of a Parquet file's columns and values: its rows as CSV text (Arrow's writer: each
    value by its type, texts quoted, an empty cell for a missing one), so compression, row groups
    and how wide a number or text type is make no difference."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    digest = hashlib.sha256()
    header = True
    for batch in parquet.iter_batches(batch_size=10_000):
        text = io.BytesIO()
        try:
            pacsv.write_csv(batch, text, pacsv.WriteOptions(include_header=header))
        except pa.ArrowException:  # a list or struct column: no CSV form, so each row as Python writes it
            text = io.BytesIO(b"".join(repr(list(row.values())).encode() + b"\n" for row in batch.to_pylist()))
            if header:
                digest.update(repr(batch.schema.names).encode() + b"\n")
        digest.update(text.getvalue())
        header = False
    return digest.hexdigest()


def _parquet_rows(path: Path, definition: SourceDefinition, start_after: int) -> Iterator[tuple[int, dict[str, Any] | MisshapenRow]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    number = 0
    for batch in parquet.iter_batches(batch_size=10_000, columns=list(definition.column_names)):
        if number + batch.num_rows <= start_after:
            number += batch.num_rows
            continue
        for row in batch.to_pylist():
            number += 1
            if number > start_after:
                yield number, row
