"""The Merkle tree must agree with RFC 9162 / RFC 6962 byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    RootAccumulator,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from famlink.core.audit.proofs import ConsistencyProof, InclusionProof
from famlink.core.errors import InvalidInput

# The Certificate Transparency reference inputs and roots (RFC 6962 test data,
# used unchanged by RFC 9162 implementations).
CT_ENTRIES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


@pytest.fixture(scope="module")
def ct_tree() -> MerkleTree:
    return MerkleTree(leaf_hash(e) for e in CT_ENTRIES)


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert MerkleTree().root() == EMPTY_ROOT
    assert root_of([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_roots_match_reference(ct_tree: MerkleTree, size: int) -> None:
    assert ct_tree.root(size).hex() == CT_ROOTS[size]
    assert root_of(leaf_hash(e) for e in CT_ENTRIES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_reference(
    ct_tree: MerkleTree, index: int, size: int, path: list[str]
) -> None:
    proof = ct_tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(ct_tree.leaf(index), index, size, proof, root)


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_reference(
    ct_tree: MerkleTree, old: int, new: int, path: list[str]
) -> None:
    proof = ct_tree.consistency_proof(old, new)
    assert [p.hex() for p in proof] == path
    assert verify_consistency(
        old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof
    )


def test_leaf_and_node_hashes_use_domain_prefixes() -> None:
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) != node_hash(b, a)
    assert node_hash(a, b) != leaf_hash(a + b)


def _tree(n: int) -> MerkleTree:
    return MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(n))


BIG = _tree(130)


def test_every_inclusion_and_consistency_proof_verifies_up_to_70() -> None:
    for n in range(1, 71):
        root = BIG.root(n)
        for i in range(n):
            assert verify_inclusion(BIG.leaf(i), i, n, BIG.inclusion_proof(i, n), root)
        for m in range(n + 1):
            proof = BIG.consistency_proof(m, n)
            assert verify_consistency(m, n, BIG.root(m), root, proof), (m, n)


def test_accumulator_matches_tree_at_every_size() -> None:
    accumulator = RootAccumulator()
    assert accumulator.root() == EMPTY_ROOT
    for i in range(130):
        accumulator.append(BIG.leaf(i))
        assert accumulator.root() == BIG.root(i + 1)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_inclusion_proof_fails_after_any_single_byte_change(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 130))
    i = data.draw(st.integers(0, n - 1))
    proof = BIG.inclusion_proof(i, n)
    root = BIG.root(n)
    assert verify_inclusion(BIG.leaf(i), i, n, proof, root)
    k = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    flip = data.draw(st.integers(1, 255))
    broken = list(proof)
    broken[k] = broken[k][:byte] + bytes([broken[k][byte] ^ flip]) + broken[k][byte + 1 :]
    assert not verify_inclusion(BIG.leaf(i), i, n, broken, root)
    changed_leaf = bytes([BIG.leaf(i)[0] ^ flip]) + BIG.leaf(i)[1:]
    assert not verify_inclusion(changed_leaf, i, n, proof, root)
    assert not verify_inclusion(BIG.leaf(i), i, n, proof[:-1], root)
    assert not verify_inclusion(BIG.leaf(i), i, n, [*proof, root], root)
    if i + 1 < n:
        assert not verify_inclusion(BIG.leaf(i), i + 1, n, proof, root) or BIG.leaf(i) == BIG.leaf(
            i + 1
        )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_consistency_proof_fails_after_any_single_byte_change(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 130))
    m = data.draw(st.integers(1, n - 1))
    proof = BIG.consistency_proof(m, n)
    old, new = BIG.root(m), BIG.root(n)
    assert verify_consistency(m, n, old, new, proof)
    k = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    flip = data.draw(st.integers(1, 255))
    broken = list(proof)
    broken[k] = broken[k][:byte] + bytes([broken[k][byte] ^ flip]) + broken[k][byte + 1 :]
    assert not verify_consistency(m, n, old, new, broken)
    assert not verify_consistency(m, n, old, new, proof[:-1])
    assert not verify_consistency(m, n, old, new, [*proof, old])
    assert not verify_consistency(m, n, new, old, proof)


def test_degenerate_consistency_cases() -> None:
    root4, root5 = BIG.root(4), BIG.root(5)
    assert verify_consistency(4, 4, root4, root4, [])
    assert not verify_consistency(4, 4, root4, root5, [])
    assert not verify_consistency(4, 4, root4, root4, [root4])
    assert verify_consistency(0, 5, EMPTY_ROOT, root5, [])
    assert not verify_consistency(0, 5, root4, root5, [])
    assert not verify_consistency(5, 4, root5, root4, BIG.consistency_proof(4, 5))
    assert not verify_consistency(4, 5, root4, root5, [])


def test_malformed_inputs_return_false_or_explain() -> None:
    root = BIG.root(8)
    proof = BIG.inclusion_proof(3, 8)
    assert not verify_inclusion(BIG.leaf(3), 8, 8, proof, root)
    assert not verify_inclusion(BIG.leaf(3), -1, 8, proof, root)
    assert not verify_inclusion(BIG.leaf(3)[:31], 3, 8, proof, root)
    assert not verify_inclusion(BIG.leaf(3), 3, 8, [proof[0][:31], *proof[1:]], root)
    with pytest.raises(InvalidInput, match="not in a tree of 8"):
        BIG.inclusion_proof(8, 8)
    with pytest.raises(InvalidInput, match="outside the log"):
        BIG.root(131)
    with pytest.raises(InvalidInput, match="old size <= new size"):
        BIG.consistency_proof(9, 8)
    with pytest.raises(InvalidInput, match="32 bytes"):
        MerkleTree().append(b"short")


def test_proofs_round_trip_as_json() -> None:
    inclusion = InclusionProof.build(BIG, 17, 100)
    again = InclusionProof.from_dict(inclusion.to_dict())
    assert again == inclusion and again.verify(BIG.root(100))
    consistency = ConsistencyProof.build(BIG, 37, 100)
    again_c = ConsistencyProof.from_dict(consistency.to_dict())
    assert again_c == consistency and again_c.verify(BIG.root(37), BIG.root(100))
    with pytest.raises(InvalidInput):
        InclusionProof.from_dict({"type": "inclusion", "index": 1})
    with pytest.raises(InvalidInput):
        ConsistencyProof.from_dict(
            {"type": "consistency", "old_size": 1, "new_size": 2, "path": "zz"}
        )
