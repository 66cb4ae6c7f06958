"""Builds small signed audit logs for the tests (not a test module itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from famlink.core.audit import (
    AuditEntry,
    AuditEvent,
    MerkleTree,
    SignedTreeHead,
    Verdict,
    new_tree_head,
    sign_tree_head,
)
from famlink.core.taxonomy import DataCategory, Purpose

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def entry(index: int, *, subject: str | None = None) -> AuditEntry:
    return AuditEntry(
        index=index,
        actor_id=f"staff-{index % 7}",
        actor_role="practitioner",
        organisation="Exampleshire County Council",
        purpose=Purpose.DIRECT_SERVICE_DELIVERY,
        subject_id=subject or f"person-{index % 31}",
        data_categories=(DataCategory.HEALTH, DataCategory.IDENTITY),
        action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW if index % 5 else Verdict.DENY,
        reasons=("consent_sufficient",),
        justification="",
        occurred_at=START + timedelta(minutes=index),
    )


def build_log(
    n: int, head_sizes: list[int], key: Ed25519PrivateKey
) -> tuple[list[tuple[int, bytes, bytes]], list[SignedTreeHead]]:
    rows = []
    tree = MerkleTree()
    for i in range(n):
        data = entry(i).to_bytes()
        digest = tree.leaf(tree.append(AuditEntry.from_bytes(data).leaf_hash))
        rows.append((i, data, digest))
    heads = [
        sign_tree_head(new_tree_head(size, tree.root(size), START + timedelta(hours=size)), key)
        for size in head_sizes
    ]
    return rows, heads
