"""The audit log's Merkle tree stored in the database, so that a proof reads a few rows.

The tree is kept as tiles of 16 hashes (``AuditTreeTile``; the layout is in
``famlink.core.audit.tiles``). ``publish`` extends it to the size it signs,
reading only the leaf hashes it lacks; a proof (``prove``, in
``famlink.services.governance.audit.proofs``) then reads the latest signed
head's tiles (at most two a band) and the proved entry, in one query: O(log n)
rows, in any process, with nothing to build first. Tiles only grow, and
extending them takes a lock of its own, so readers need none and concurrent
publishers (or web workers) cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from famlink.adapters.storage.governance.audit.heads import LATEST
from famlink.adapters.storage.governance.audit.rows import table
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    AuditTreeTile,
    PublishedTreeHead,
)
from famlink.core.audit import EMPTY_ROOT
from famlink.core.audit.merkle import HASH_SIZE, Span, consistency_spans
from famlink.core.audit.tiles import TILE_WIDTH, Tile, TileBuilder, TileSet, tiles_for_spans
from famlink.core.errors import InvalidInput

#: The PostgreSQL advisory lock held while the stored tree is extended ("famtree" in ASCII).
TREE_LOCK = 0x66616D74726565
#: Leaf hashes read per query, and full tiles written per batch, while extending.
CHUNK = 20_000
TILES_PER_WRITE = 2_000


def leaf_hashes(start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """Stream ``(index, leaf hash)`` for ``start <= index < stop``: 32 bytes a row, not the whole entry."""
    entries = table(AuditLogEntry)
    last = start - 1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index", leaf_hash FROM {entries} WHERE "index" > %s AND "index" < %s '
                f'ORDER BY "index" LIMIT {CHUNK}',
                [last, stop],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        for index, digest in batch:
            yield index, bytes(digest)
        last = batch[-1][0]


def stored_size() -> int:
    """How many entries the stored tree covers (its band 0 holds that many leaf hashes)."""
    last = AuditTreeTile.objects.filter(band=0).order_by("-number").values_list("number", "hashes").first()
    return 0 if last is None else last[0] * TILE_WIDTH + len(bytes(last[1])) // HASH_SIZE


@dataclass(frozen=True, slots=True)
class Found:
    """What one read of the stored tree found (``span_hashes``)."""

    tiles: dict[Tile, bytes]
    entry: bytes | None = None  # the entry's bytes, if asked for
    latest: tuple[int, int] | None = None  # (id, size) of the latest signed head, if asked for


def _read(tiles: set[Tile], *, entry: int | None = None, latest: bool = False) -> Found:
    """These tiles and, if asked, one entry's bytes and which head is latest: one query, one round trip."""
    by_band: dict[int, list[int]] = defaultdict(list)
    for band, number in tiles:
        by_band[band].append(number)
    parts, params = [], []
    for band, numbers in sorted(by_band.items()):
        parts.append(f"(band = %s AND number IN ({', '.join(['%s'] * len(numbers))}))")
        params += [band, *numbers]
    sql = [f"SELECT band, number, hashes FROM {table(AuditTreeTile)} WHERE {' OR '.join(parts)}"] if parts else []
    if entry is not None:  # band -1: the entry's bytes
        sql.append(f'SELECT -1, "index", entry_bytes FROM {table(AuditLogEntry)} WHERE "index" = %s')
        params.append(entry)
    if latest:  # bands -2 and -3: the latest head's id and size
        head = f"SELECT id, size FROM {table(PublishedTreeHead)} {LATEST}"
        sql += [f"SELECT -2, id, NULL FROM ({head}) AS h", f"SELECT -3, size, NULL FROM ({head}) AS h"]
    if not sql:
        return Found({})
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql), params)
        rows = cursor.fetchall()
    found = {(band, number): bytes(data) for band, number, data in rows if band >= 0}
    others = {band: (number, data) for band, number, data in rows if band < 0}
    head_id, head_size = others.get(-2, (None, None))[0], others.get(-3, (None, None))[0]
    return Found(
        found,
        bytes(others[-1][1]) if -1 in others else None,
        None if head_id is None or head_size is None else (int(head_id), int(head_size)),
    )


def _write(tiles: dict[Tile, bytes]) -> None:
    """Insert these tiles, or replace them (a band's last tile grows)."""
    AuditTreeTile.objects.bulk_create(
        [AuditTreeTile(band=band, number=number, hashes=hashes) for (band, number), hashes in tiles.items()],
        update_conflicts=True, unique_fields=["band", "number"], update_fields=["hashes"], batch_size=TILES_PER_WRITE,
    )


def take_tree() -> None:
    """Hold the stored tree's lock until this transaction ends (SQLite's IMMEDIATE transaction already does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK])


def extend_to(size: int) -> int:
    """Store the tree over the first ``size`` placed entries, reading only the leaf hashes it lacks.

    Returns how many entries the stored tree covers now: ``size``, or more if
    it already covered more (the log was cut: ``publish`` refuses then).
    """
    with transaction.atomic():
        take_tree()
        start = stored_size()
        if start >= size:
            return start
        open_tiles = _read(set(TileBuilder.open_tiles(start))).tiles
        builder = TileBuilder(start, {band: hashes for (band, _), hashes in open_tiles.items()})
        for index, digest in leaf_hashes(start, size):
            if index != builder.size:
                break
            builder.append(digest)
            if builder.filled() >= TILES_PER_WRITE:
                _write(builder.drain())
        if builder.size != size:
            raise InvalidInput(f"audit entry {builder.size} is missing; run 'famlink audit verify'")
        _write(builder.changed())
    return size


def span_hashes(spans: list[Span], size: int, *, extend: bool = True, **also: Any) -> tuple[list[bytes], Found]:
    """The hashes of these spans of the first ``size`` entries, from the stored tree, in one query (``also``: see ``_read``).

    If the stored tree does not reach ``size`` yet (a head signed before the
    tree was kept, on a database upgraded since), it is extended first, once,
    unless ``extend`` is false.
    """
    wanted = tiles_for_spans(spans)
    found = _read(wanted, **also)
    try:
        return TileSet(found.tiles).hashes(spans), found
    except InvalidInput:
        if not extend or stored_size() >= size:
            raise  # a tile is missing or short inside the tree: not something extending mends
        extend_to(size)
        found = _read(wanted, **also)
        return TileSet(found.tiles).hashes(spans), found


def root(size: int) -> bytes:
    """The root of the first ``size`` entries, from the stored tree (O(log n) hashes read)."""
    return span_hashes([(0, size)], size)[0][0] if size else EMPTY_ROOT


def consistency(old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof from the first ``old_size`` entries to the first ``new_size``."""
    return span_hashes(consistency_spans(old_size, new_size), new_size)[0]


def leaf_copies() -> Iterator[tuple[int, bytes]]:
    """Stream ``(index, leaf hash as the stored tree holds it)`` in index order: for ``verify``."""
    last = -1
    while True:
        rows = list(
            AuditTreeTile.objects.filter(band=0, number__gt=last).order_by("number").values_list("number", "hashes")[:1000]
        )
        if not rows:
            return
        for number, data in rows:
            data = bytes(data)
            for offset in range(0, len(data), HASH_SIZE):
                yield number * TILE_WIDTH + offset // HASH_SIZE, data[offset : offset + HASH_SIZE]
        last = rows[-1][0]
