"""Proofs as the JSON objects that famlink publishes (format in docs/audit.md).

A parent who is told "your record was viewed" can be handed an inclusion
proof for that entry and check it against a signed tree head themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from famlink.core.audit.merkle import MerkleTree, verify_consistency, verify_inclusion
from famlink.core.errors import InvalidInput


def _hashes(raw: Any, where: str) -> tuple[bytes, ...]:
    if not isinstance(raw, list):
        raise InvalidInput("must be a list of hex strings", where=where)
    try:
        return tuple(bytes.fromhex(h) for h in raw)
    except (TypeError, ValueError):
        raise InvalidInput("must be a list of hex strings", where=where) from None


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``index`` is in the tree of ``tree_size`` entries."""

    index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: tuple[bytes, ...]

    @classmethod
    def build(cls, tree: MerkleTree, index: int, tree_size: int | None = None) -> InclusionProof:
        size = len(tree) if tree_size is None else tree_size
        return cls(index, size, tree.leaf(index), tuple(tree.inclusion_proof(index, size)))

    def verify(self, root_hash: bytes) -> bool:
        return verify_inclusion(
            self.leaf_hash, self.index, self.tree_size, self.audit_path, root_hash
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "inclusion",
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "audit_path": [h.hex() for h in self.audit_path],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> InclusionProof:
        if raw.get("type") != "inclusion":
            raise InvalidInput("not an inclusion proof", where="type")
        try:
            return cls(
                index=int(raw["index"]),
                tree_size=int(raw["tree_size"]),
                leaf_hash=bytes.fromhex(raw["leaf_hash"]),
                audit_path=_hashes(raw["audit_path"], "audit_path"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInput(f"inclusion proof cannot be read: {error!r}") from None


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree of ``old_size`` entries is a prefix of the tree of ``new_size``."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    @classmethod
    def build(
        cls, tree: MerkleTree, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof:
        size = len(tree) if new_size is None else new_size
        return cls(old_size, size, tuple(tree.consistency_proof(old_size, size)))

    def verify(self, old_root: bytes, new_root: bytes) -> bool:
        return verify_consistency(self.old_size, self.new_size, old_root, new_root, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "consistency",
            "old_size": self.old_size,
            "new_size": self.new_size,
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ConsistencyProof:
        if raw.get("type") != "consistency":
            raise InvalidInput("not a consistency proof", where="type")
        try:
            return cls(
                old_size=int(raw["old_size"]),
                new_size=int(raw["new_size"]),
                path=_hashes(raw["path"], "path"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInput(f"consistency proof cannot be read: {error!r}") from None
