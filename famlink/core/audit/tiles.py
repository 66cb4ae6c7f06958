"""The Merkle tree kept in storage as tiles of 16 hashes, so that a proof reads a few rows.

Rebuilding the tree for each proof reads every leaf: seconds at a million
entries. Keeping the whole tree in each process costs 64 bytes an entry and a
full read at start. Instead the tree is stored the way Go's checksum database
stores its log ("tiles", golang.org/x/mod/sumdb/tlog): band 0 holds every
leaf hash, 16 to a tile; band 1 the hash of every complete subtree of 16
leaves; band 2 of 256 leaves; and so on. Any complete subtree is then folded
from at most 8 hashes of one tile, and a proof at 10,000,000 entries needs
at most two tiles a band, six bands: one read, whatever the size.

Tiles only ever grow: a full tile never changes, and each band's last tile
fills up as the log does. So a reader never needs a lock, and two processes
that extend the tree one after the other write the same bytes.

Band 0 is a copy of the leaf hashes taken when the tree was extended (at each
publish). If an entry is later edited and its stored leaf hash recomputed to
match, the copy still holds the hash that was published: ``verify`` names the
entry by its own index instead of a range between two signed heads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from famlink.core.audit.merkle import HASH_SIZE, Node, Span, complete_subtrees, node_hash, span_hash
from famlink.core.errors import InvalidInput

TILE_HEIGHT = 4
TILE_WIDTH = 1 << TILE_HEIGHT
TILE_BYTES = TILE_WIDTH * HASH_SIZE
#: ``(band, number)``: the tile holding hashes ``number * 16`` to ``number * 16 + 15`` of its band.
Tile = tuple[int, int]


def band_count(size: int, band: int) -> int:
    """How many hashes band ``band`` holds for a tree of ``size`` leaves."""
    return size >> (TILE_HEIGHT * band)


def tile_of(node: Node) -> Tile:
    """The tile a complete subtree is folded from."""
    band, rise = divmod(node[0], TILE_HEIGHT)
    return band, (node[1] << rise) >> TILE_HEIGHT


def tiles_for(nodes: Iterable[Node]) -> set[Tile]:
    return {tile_of(node) for node in nodes}


def tiles_for_spans(spans: Iterable[Span]) -> set[Tile]:
    """Every tile needed to hash these spans (a proof's, say): read them in one go."""
    return tiles_for(node for start, end in spans for node in complete_subtrees(start, end))


def _fold(hashes: bytes) -> bytes:
    """The root of the perfect tree over these 2**k hashes."""
    level = [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return bytes(level[0])


class TileSet:
    """Hashes of spans of the log, from tiles read out of storage."""

    def __init__(self, tiles: Mapping[Tile, bytes]) -> None:
        self._tiles = tiles

    def node(self, height: int, position: int) -> bytes:
        """The hash of one complete subtree, folded from its tile."""
        band, rise = divmod(height, TILE_HEIGHT)
        number, offset = divmod(position << rise, TILE_WIDTH)
        data = self._tiles.get((band, number), b"")
        wanted = slice(offset * HASH_SIZE, (offset + (1 << rise)) * HASH_SIZE)
        if len(data) < wanted.stop:
            raise InvalidInput(
                f"the stored audit tree lacks tile {band}/{number} (or it is too short) for the entries "
                f"from {position << height} to {((position + 1) << height) - 1}"
            )
        return _fold(data[wanted])

    def hashes(self, spans: Iterable[Span]) -> list[bytes]:
        return [span_hash(start, end, self.node) for start, end in spans]


class TileBuilder:
    """Extends the stored tiles of a tree of ``size`` leaves, one leaf hash at a time.

    Start it with the open (partly filled) last tile of each band, as stored
    (``open_tiles`` names them); take the tiles it filled with ``drain`` as
    it goes, and everything it changed at the end with ``changed``. Write
    them all as insert-or-replace.
    """

    @staticmethod
    def open_tiles(size: int) -> list[Tile]:
        """The partly filled last tile of each band of a tree of ``size`` leaves."""
        found: list[Tile] = []
        band = 0
        while (count := band_count(size, band)) > 0:
            if count % TILE_WIDTH:
                found.append((band, count // TILE_WIDTH))
            band += 1
        return found

    def __init__(self, size: int, open_tiles: Mapping[int, bytes]) -> None:
        """``open_tiles``: band -> the hashes in that band's open tile (``open_tiles(size)``)."""
        self.size = size
        self._open: dict[int, bytearray] = {}
        for band, number in self.open_tiles(size):
            data = bytes(open_tiles.get(band, b""))
            if len(data) != (band_count(size, band) % TILE_WIDTH) * HASH_SIZE:
                raise InvalidInput(
                    f"the stored audit tree's tile {band}/{number} holds {len(data) // HASH_SIZE} hashes, "
                    f"not the {band_count(size, band) % TILE_WIDTH} a tree of {size} entries has there"
                )
            self._open[band] = bytearray(data)
        self._full: dict[Tile, bytes] = {}

    def append(self, leaf: bytes) -> None:
        if len(leaf) != HASH_SIZE:
            raise InvalidInput(f"a leaf hash must be {HASH_SIZE} bytes, not {len(leaf)}")
        self.size += 1
        band, digest = 0, leaf
        while True:
            tile = self._open.setdefault(band, bytearray())
            tile += digest
            if len(tile) < TILE_BYTES:
                return
            full = bytes(tile)
            self._full[band, band_count(self.size, band) // TILE_WIDTH - 1] = full
            tile.clear()
            band, digest = band + 1, _fold(full)

    def filled(self) -> int:
        """How many full tiles are waiting to be drained."""
        return len(self._full)

    def drain(self) -> dict[Tile, bytes]:
        """The tiles filled since the last drain (full: they never change again)."""
        full, self._full = self._full, {}
        return full

    def changed(self) -> dict[Tile, bytes]:
        """Every tile not yet drained: the full ones and each band's open tile as it is now."""
        tiles = self.drain()
        for band, tile in self._open.items():
            if tile:
                tiles[band, band_count(self.size, band) // TILE_WIDTH] = bytes(tile)
        return tiles
