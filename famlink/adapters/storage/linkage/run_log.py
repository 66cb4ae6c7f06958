"""A run's commitment in the audit log, stored: its per-person leaves and the tree's leaf hashes.

Leaves are written with the bulk helpers (COPY on PostgreSQL), one row per
person; the tree's leaf hashes go in one row (``RunCommitment``) so a proof
rebuilds the tree from a single read. Format and reasons: docs/audit.md §9.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from famlink.adapters.storage.bulk import KEYS_AT_ONCE, chunks, insert_rows
from famlink.adapters.storage.linkage.models import LinkageRun, RunCommitment, RunLogLeaf
from famlink.core.errors import NotFound


def store(run: LinkageRun, persons: list[str], leaves: tuple[bytes, ...], hashes: bytes, root: bytes,
          audit_index: int) -> None:
    """Store a run's leaves (``persons[i]``'s leaf at tree position i) and what its entry commits to."""
    RunCommitment.objects.create(run=run, audit_index=audit_index, size=len(leaves), root=root, leaf_hashes=hashes)
    insert_rows(RunLogLeaf, ("run", "person", "position", "leaf"),
                zip([run.pk] * len(leaves), persons, range(len(leaves)), leaves, strict=True))


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """One person's leaf of one run, with where the run's entry is in the audit log."""

    run: int
    person: str
    leaf: bytes
    audit_index: int
    run_started: datetime


def leaves_of(persons: Collection[str]) -> Iterator[StoredLeaf]:
    """Every stored leaf about these persons (a family's access log), newest run first."""
    for part in chunks(sorted(persons), KEYS_AT_ONCE):
        rows = (RunLogLeaf.objects.filter(person__in=part)
                .values_list("run_id", "person", "leaf", "run__commitment__audit_index", "run__started_at")
                .order_by("-run_id", "person"))
        for run, person, leaf, index, started in rows:
            yield StoredLeaf(run, person, bytes(leaf), index, started)


@dataclass(frozen=True, slots=True)
class LeafInTree:
    """What proving one leaf needs: its bytes, its place, every leaf hash of its run, the run's entry."""

    leaf: bytes
    position: int
    hashes: bytes
    root: bytes
    audit_index: int


def leaf_in_tree(run: int, person: str) -> LeafInTree:
    """The leaf of ``person`` in ``run`` and the run's tree hashes; 'not found' if the run did not include them."""
    found = RunLogLeaf.objects.filter(run_id=run, person=person).values_list("leaf", "position").first()
    commitment = RunCommitment.objects.filter(run_id=run).values_list("leaf_hashes", "root", "audit_index").first()
    if found is None or commitment is None:
        raise NotFound(f"linkage run {run} has no entry for {person} in the audit log")
    return LeafInTree(bytes(found[0]), found[1], bytes(commitment[0]), bytes(commitment[1]), commitment[2])


def committed_runs(run: int | None = None) -> list[tuple[int, int, bytes]]:
    """``(run, audit index, leaf hashes)`` of every run committed to the audit log (or of one), oldest first."""
    rows = RunCommitment.objects.order_by("run_id")
    if run is not None:
        rows = rows.filter(run_id=run)
    return [(r, index, bytes(hashes)) for r, index, hashes in rows.values_list("run_id", "audit_index", "leaf_hashes")]


def leaves_in_order(run: int) -> Iterator[tuple[int, bytes]]:
    """``(position, leaf bytes)`` of one run, in tree order, streamed (one sorted read, not one per batch)."""
    rows = RunLogLeaf.objects.filter(run_id=run).order_by("position").values_list("position", "leaf")
    for position, leaf in rows.iterator(chunk_size=20_000):
        yield position, bytes(leaf)
