"""The stored tree: 16 hashes a tile, built in any pieces, answering proofs from a few tiles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.audit.merkle import (
    MerkleTree,
    complete_subtrees,
    consistency_spans,
    inclusion_spans,
    leaf_hash,
    span_hash,
)
from famlink.core.audit.tiles import TILE_WIDTH, TileBuilder, TileSet, tiles_for
from famlink.core.errors import InvalidInput

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(4200)]
TREE = MerkleTree(LEAVES)


def built(pieces: list[int]) -> dict[tuple[int, int], bytes]:
    """Tiles built over LEAVES[:sum(pieces)], a piece at a time, each piece starting from what was stored."""
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for piece in pieces:
        builder = TileBuilder(size, {band: stored[band, number] for band, number in TileBuilder.open_tiles(size)})
        for leaf in LEAVES[size : size + piece]:
            builder.append(leaf)
        size += piece
        stored.update(builder.changed())
    return stored


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=6))
def test_tiles_built_in_pieces_are_the_tiles_built_at_once(pieces: list[int]) -> None:
    assert built(pieces) == built([sum(pieces)])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_proofs_from_tiles_are_the_rfc_proofs(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(LEAVES)))
    tiles = TileSet(built([size]))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert tiles.hashes(inclusion_spans(index, size)) == TREE.inclusion_proof(index, size)
    assert tiles.hashes(consistency_spans(old, size)) == TREE.consistency_proof(old, size)
    assert tiles.hashes([(0, size)]) == [TREE.root(size)]
    assert tiles.hashes([(index, index + 1)]) == [LEAVES[index]]


def test_a_proof_needs_few_tiles_even_for_a_huge_log() -> None:
    size = 10_000_000 + 12_345
    for index in (0, 1, 4_999_999, size - 1):
        spans = [*inclusion_spans(index, size), (index, index + 1)]
        nodes = {node for start, end in spans for node in complete_subtrees(start, end)}
        assert len(tiles_for(nodes)) <= 2 * 6  # two tiles a band at most, 6 bands of 16 at 10M
    assert len(tiles_for({n for s, e in consistency_spans(123_456, size) for n in complete_subtrees(s, e)})) <= 12


def test_span_hash_walks_only_the_complete_subtrees_it_is_given() -> None:
    nodes = {node: TREE._subtree(node[1] << node[0], (node[1] + 1) << node[0]) for node in complete_subtrees(0, 1000)}
    assert span_hash(0, 1000, lambda height, position: nodes[height, position]) == TREE.root(1000)


def test_a_missing_or_short_tile_is_named() -> None:
    tiles = built([40])
    del tiles[0, 1]
    with pytest.raises(InvalidInput, match="tile"):
        TileSet(tiles).hashes([(17, 18)])
    assert TILE_WIDTH == 16
