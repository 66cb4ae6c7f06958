"""The audit log in the database: gap-free appends, signed heads, checks, proofs.

Appends take the lock on the single ``AuditLogCounter`` row (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions already serialise
writers), so indexes are handed out in commit order with no gaps. The append
must run inside the caller's transaction, so the access and its entry commit
or vanish together: there is never an access without its entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    PublishedTreeHead,
)
from famlink.core.audit import (
    AuditEntry,
    AuditEvent,
    InclusionProof,
    MerkleTree,
    RootAccumulator,
    SignedTreeHead,
    Verdict,
    new_tree_head,
    sign_tree_head,
    signing_key,
    verify_log,
)
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.taxonomy import DataCategory, Purpose

CHUNK = 20_000
READABLE = ("actor_id", "actor_role", "organisation", "purpose", "subject_id", "action", "decision")


@dataclass(frozen=True, slots=True)
class AuditFacts:
    """What one entry says, before it has a place in the log."""

    actor_id: str
    actor_role: str
    organisation: str
    purpose: Purpose | None
    subject_id: str | None
    data_categories: tuple[DataCategory, ...]
    action: AuditEvent
    decision: Verdict
    reasons: tuple[str, ...] = ()
    justification: str = ""


def _lock_counter() -> AuditLogCounter:
    """The counter row, locked until the surrounding transaction ends."""
    try:
        return AuditLogCounter.objects.select_for_update().get(pk=1)
    except AuditLogCounter.DoesNotExist:
        AuditLogCounter.objects.bulk_create([AuditLogCounter(id=1)], ignore_conflicts=True)
        return AuditLogCounter.objects.select_for_update().get(pk=1)


def append(facts: AuditFacts, *, at: datetime | None = None) -> AuditLogEntry:
    """Write one entry in the caller's transaction (opened here if there is none)."""
    return append_many([facts], at=at)[0]


def append_many(batch: Iterable[AuditFacts], *, at: datetime | None = None) -> list[AuditLogEntry]:
    """Write entries in order under one lock: a linkage run logs many at once."""
    moment = at or timezone.now()
    with transaction.atomic():
        counter = _lock_counter()
        rows = []
        for facts in batch:
            entry = AuditEntry(index=counter.next_index, occurred_at=moment, **asdict(facts))
            data = entry.to_bytes()
            rows.append(
                AuditLogEntry(
                    index=entry.index,
                    entry_bytes=data,
                    leaf_hash=entry.leaf_hash,
                    actor_id=entry.actor_id,
                    actor_role=entry.actor_role,
                    organisation=entry.organisation,
                    purpose=None if entry.purpose is None else entry.purpose.value,
                    subject_id=entry.subject_id,
                    action=entry.action.value,
                    decision=entry.decision.value,
                    occurred_at=moment,
                )
            )
            counter.next_index += 1
        AuditLogEntry.objects.bulk_create(rows)
        AuditLogCounter.objects.filter(pk=1).update(next_index=counter.next_index)
    return rows


def committed_size() -> int:
    """How many entries are committed (every index below this exists)."""
    row = AuditLogCounter.objects.filter(pk=1).values_list("next_index", flat=True).first()
    return row or 0


def _rows(limit: int | None = None) -> Iterator[tuple[int, bytes, bytes, tuple[Any, ...]]]:
    """Stream ``(index, bytes, leaf hash, readable columns)`` in index order, in chunks."""
    table = AuditLogEntry._meta.db_table
    columns = ", ".join(READABLE)
    last = -1
    while True:
        bound = "" if limit is None else f' AND "index" < {int(limit)}'
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index", entry_bytes, leaf_hash, {columns} FROM {table} '
                f'WHERE "index" > %s{bound} ORDER BY "index" LIMIT {CHUNK}',
                [last],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        for row in batch:
            yield row[0], bytes(row[1]), bytes(row[2]), row[3:]
        last = batch[-1][0]


def signed_heads() -> list[SignedTreeHead]:
    return [SignedTreeHead.from_json(text) for text in PublishedTreeHead.objects.values_list("signed_json", flat=True)]


def public_tree_heads() -> list[dict[str, Any]]:
    """Every published signed tree head, oldest first, in the published JSON form."""
    return [json.loads(text) for text in PublishedTreeHead.objects.values_list("signed_json", flat=True)]


def publish(*, at: datetime | None = None) -> SignedTreeHead:
    """Sign the tree head over every committed entry and store it."""
    size = committed_size()
    accumulator = RootAccumulator()
    for _, _, digest, _ in _rows(limit=size):
        accumulator.append(digest)
    if accumulator.size != size:
        raise InvalidInput(f"the log should hold {size} entries but {accumulator.size} were read; run 'famlink audit verify'")
    head = new_tree_head(size, accumulator.root(), at or timezone.now())
    signed = sign_tree_head(head, signing_key(config.data_dir()))
    PublishedTreeHead.objects.create(
        size=size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        key_id=signed.key_id,
        signed_json=signed.to_json(),
        published_at=timezone.now(),
    )
    return signed


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The result of ``famlink audit verify``: the core result plus the readable columns."""

    ok: bool
    entries: int
    first_bad_index: int | None
    problem: str | None
    tree_heads_checked: int
    root_hash: str
    entries_after_last_head: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _readable_mismatch(index: int, data: bytes, readable: tuple[Any, ...]) -> str | None:
    """Name the first readable column that no longer says what the hashed bytes say."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None  # the hash check reports it
    for name, value in zip(READABLE, readable, strict=True):
        expected = raw.get(name) if isinstance(raw, dict) else None
        if (value or None) != (expected or None):
            return f"entry {index} was changed after it was logged: its stored {name} no longer matches its hashed contents"
    return None


def verify() -> AuditCheck:
    """Recompute every leaf and root against the signed heads; name the first bad entry."""
    mismatch: list[tuple[int, str]] = []

    def rows() -> Iterator[tuple[int, bytes, bytes]]:
        for index, data, digest, readable in _rows():
            problem = _readable_mismatch(index, data, readable)
            if problem:
                mismatch.append((index, problem))
                return
            yield index, data, digest

    result = verify_log(rows(), signed_heads(), signing_key(config.data_dir()).public_key())
    ok, first_bad, problem = result.ok, result.first_bad_index, result.problem
    if mismatch and (ok or first_bad is None or first_bad >= mismatch[0][0]):
        ok, (first_bad, problem) = False, mismatch[0]
    return AuditCheck(
        ok=ok,
        entries=result.entries,
        first_bad_index=first_bad,
        problem=problem,
        tree_heads_checked=result.tree_heads_checked,
        root_hash=result.root_hash.hex(),
        entries_after_last_head=result.entries_after_last_head,
    )


class AuditTree:
    """The Merkle tree over committed entries, kept in memory and extended as the log grows.

    Build once per process (about 2 s per million entries); after that an
    inclusion proof takes microseconds.
    """

    def __init__(self) -> None:
        self.tree = MerkleTree()

    def refresh(self) -> MerkleTree:
        size = committed_size()
        if size > len(self.tree):
            for index, _, digest, _ in _rows_from(len(self.tree), size):
                if index != len(self.tree):
                    raise InvalidInput(f"audit entry {len(self.tree)} is missing; run 'famlink audit verify'")
                self.tree.append(digest)
        return self.tree

    def prove(self, index: int) -> dict[str, Any]:
        """An inclusion proof for entry ``index`` against the latest signed tree head."""
        latest = PublishedTreeHead.objects.order_by("-size", "-id").first()
        if latest is None:
            raise NotFound("no tree head has been published yet; run 'famlink audit publish'")
        if not 0 <= index < latest.size:
            raise NotFound(
                f"entry {index} is not covered by the latest signed tree head ({latest.size} entries); "
                "wait for the next 'famlink audit publish'"
            )
        tree = self.refresh()
        if tree.root(latest.size).hex() != latest.root_hash:
            raise InvalidInput("the stored log does not match the latest signed tree head; run 'famlink audit verify'")
        proof = InclusionProof.build(tree, index, latest.size)
        entry = AuditLogEntry.objects.get(pk=index)
        return {
            "entry": bytes(entry.entry_bytes).decode("utf-8"),
            "proof": proof.to_dict(),
            "signed_tree_head": json.loads(latest.signed_json),
        }


def _rows_from(start: int, stop: int) -> Iterator[tuple[int, bytes, bytes, tuple[Any, ...]]]:
    for row in _rows(limit=stop):
        if row[0] >= start:
            yield row
