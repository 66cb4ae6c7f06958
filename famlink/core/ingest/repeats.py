"""Rows sent again: is an accepted row a new record, a record already held, or its next version?

A source's record is known by its local id. A row whose local id is held
already, with content (its row checksum) that some version of that record
has had, is the same record sent again: a repeat, stored once. With other
content it is the record's next version, superseding the current one (the
agency changed it; the history stays). Content any earlier version had is a
repeat too, so an old extract sent again never undoes a later change, nor a
correction a family asked for (a correction keeps its record's checksum).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple


class HeldVersion(NamedTuple):  # a tuple: made for each row of a batch that a source already holds
    """One version of a record held under a local id, as storage has it."""

    local_id: str
    record_id: int
    version: int
    checksum: str
    supersedes_id: int | None


@dataclass(frozen=True)
class HeldRecord:
    """What is held under one local id: the current version, and every content it has had."""

    current_id: int
    current_version: int
    checksums: tuple[str, ...]


@dataclass(frozen=True)
class Repeat:
    """The row is the record ``record_id`` (its current version), sent again."""

    record_id: int


@dataclass(frozen=True)
class Update:
    """The row is the next version (``version``) of the record whose current version is ``supersedes_id``."""

    supersedes_id: int
    version: int


#: a row's fate: a new record (None), a repeat, or an update
Fate = Repeat | Update | None


def held_records(versions: Iterable[HeldVersion]) -> dict[str, HeldRecord]:
    """Each local id's current version (the one nothing supersedes; the latest if, from before
    repeats were recognised, there are several) and every checksum its versions have."""
    versions = list(versions)
    superseded = {v.supersedes_id for v in versions if v.supersedes_id is not None}
    found: dict[str, tuple[HeldVersion, tuple[str, ...]]] = {}
    for version in versions:  # one pass: this runs for every row of a batch a source already holds
        known = found.get(version.local_id)
        if known is None:
            found[version.local_id] = (version, (version.checksum,))
            continue
        current, checksums = known
        if (version.record_id not in superseded, version.record_id) > (current.record_id not in superseded, current.record_id):
            current = version
        found[version.local_id] = (current, (*checksums, version.checksum))
    return {local_id: HeldRecord(current.record_id, current.version, checksums)
            for local_id, (current, checksums) in found.items()}


def fates(rows: Sequence[tuple[str, str]], held: Mapping[str, HeldRecord]) -> list[Fate]:
    """The fate of each ``(local id, checksum)`` row in order, given what is ``held``.

    It stops before the first row whose local id an earlier row here made a record or a version
    of: that is not stored yet, so the caller stores the rows so far and asks again for the rest.
    """
    out: list[Fate] = []
    stored: set[str] = set()
    for local_id, checksum in rows:
        if local_id in stored:
            break
        record = held.get(local_id)
        if record is None:
            out.append(None)
            stored.add(local_id)
        elif checksum in record.checksums:
            out.append(Repeat(record.current_id))
        else:
            out.append(Update(record.current_id, record.current_version + 1))
            stored.add(local_id)
    return out


class SeenIds:
    """The local ids an extract has had so far, in 10 bits each (a Bloom filter): "not seen" is
    certain, "maybe seen" is wrong for about 1 id in 30. It spares asking the database about each
    row of a source's first extract, where nearly every id is new; a "maybe" is asked about.
    """

    def __init__(self, expected: int) -> None:
        self._bits = max(1 << 16, expected * 10)
        self._filter = bytearray(self._bits // 8 + 1)

    def add(self, local_ids: Iterable[str]) -> list[str]:
        """Remember ``local_ids``; those that may have been seen before (or earlier in the list)."""
        bits, seen, maybe = self._bits, self._filter, []
        for local_id in local_ids:
            code = hash(local_id)  # the same within one process, which is all the filter lives for
            a, b = code % bits, (code >> 32) % bits
            if seen[a >> 3] & (1 << (a & 7)) and seen[b >> 3] & (1 << (b & 7)):
                maybe.append(local_id)
            seen[a >> 3] |= 1 << (a & 7)
            seen[b >> 3] |= 1 << (b & 7)
        return maybe
