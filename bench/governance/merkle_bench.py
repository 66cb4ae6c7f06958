"""How fast the audit log hashes, proves and verifies at one council's scale.

Run: .venv/bin/python bench/governance/merkle_bench.py [--leaves 1000000]
Targets: verifying 1M entries well under 60 s; a proof at 1M in < 10 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from famlink.core.audit import (
    AuditEntry,
    MerkleTree,
    canonical_json,
    leaf_hash,
    new_tree_head,
    root_of,
    sign_tree_head,
    verify_consistency,
    verify_inclusion,
    verify_log,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def entries(n: int) -> list[bytes]:
    """Realistic entry bytes: one real AuditEntry as a template, varied per index."""
    template = AuditEntry(
        index=0,
        actor_id="staff-0",
        actor_role="practitioner",
        organisation="Exampleshire County Council",
        purpose="service.direct_delivery",
        subject_id="person-0",
        data_categories=("health", "identity"),
        action="record:viewed",
        decision="allow",
        reasons=("consent_sufficient",),
        justification="",
        occurred_at=START,
    ).to_dict()
    out = []
    for i in range(n):
        template["index"] = i
        template["actor_id"] = f"staff-{i % 997}"
        template["subject_id"] = f"person-{i % 250_000}"
        template["occurred_at"] = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(canonical_json(template))
    return out


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn(*args)
    print(f"{label:<52} {time.perf_counter() - t0:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=1_000_000)
    n = parser.parse_args().leaves
    print(f"Merkle benchmark, {n:,} entries")
    data = timed("serialise entries (canonical JSON)", entries, n)
    leaves = timed("leaf hashes", lambda: [leaf_hash(d) for d in data])
    root = timed("root_of (streaming, O(log n) memory)", root_of, leaves)
    tree = timed("MerkleTree build (all levels kept)", MerkleTree, leaves)
    assert tree.root() == root

    rng = random.Random(7)
    samples = []
    for _ in range(2000):
        i = rng.randrange(n)
        t0 = time.perf_counter()
        proof = tree.inclusion_proof(i)
        samples.append(time.perf_counter() - t0)
        assert verify_inclusion(tree.leaf(i), i, n, proof, root)
    samples.sort()
    print(
        f"inclusion proof at {n:,}: mean {statistics.mean(samples) * 1e6:.0f} us, "
        f"p99 {samples[int(len(samples) * 0.99)] * 1e6:.0f} us, max {samples[-1] * 1e6:.0f} us"
    )
    csamples = []
    for _ in range(500):
        m = rng.randrange(1, n)
        t0 = time.perf_counter()
        proof = tree.consistency_proof(m)
        csamples.append(time.perf_counter() - t0)
        assert verify_consistency(m, n, tree.root(m), root, proof)
    csamples.sort()
    print(
        f"consistency proof to {n:,}: mean {statistics.mean(csamples) * 1e6:.0f} us, "
        f"max {csamples[-1] * 1e6:.0f} us"
    )

    key = Ed25519PrivateKey.generate()
    sizes = sorted({n // 4, n // 2, n - 1, n})
    heads = [sign_tree_head(new_tree_head(s, tree.root(s), START), key) for s in sizes]
    rows = [(i, d, h) for i, (d, h) in enumerate(zip(data, leaves, strict=True))]
    result = timed(
        f"verify_log over {n:,} entries + {len(heads)} signed heads",
        verify_log,
        rows,
        heads,
        key.public_key(),
    )
    assert result.ok, result.problem
    print(f"memory held by MerkleTree levels: ~{2 * n * 32 / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
