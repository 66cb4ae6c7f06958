"""Verifying the audit log: every hash, every signed head (stored and witnessed), the counter and the stored tree."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError

from famlink import config
from famlink.adapters.storage.governance.audit import heads, tree, witness
from famlink.adapters.storage.governance.audit.rows import (
    READABLE,
    committed_size,
    entries_in_order,
    pending_rows,
)
from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
from famlink.core.audit import (
    AuditEntry,
    SignedTreeHead,
    WitnessedHead,
    leaf_hash,
    signing_key,
    verify_log,
)
from famlink.core.errors import InvalidInput


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
    entries_pending: int = 0
    witnessed_heads_checked: int = 0  # heads kept outside the database (witness file, saved copies) that held
    witness_file: str = ""

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


def _unreadable_pending() -> tuple[int, str | None]:
    """How many entries are still pending, and the first that is not a readable entry (it cannot be placed)."""
    count, problem = 0, None
    for pending_id, facts in pending_rows():
        count += 1
        if problem is None:
            try:
                AuditEntry.from_pending_bytes(facts, 0)
            except InvalidInput as error:
                problem = (
                    f"pending entry {pending_id} (written but not yet given its place in the log) "
                    f"was changed after it was written: {error}"
                )
    return count, problem


def _rehashed(index: int) -> str:
    return (
        f"entry {index} was changed after it was logged, and its stored leaf hash recomputed to hide it: "
        "the copy of its hash taken into the audit tree when it was published differs"
    )


def _outside_problem(
    entries: int, counted: tuple[int, int], covered: int, witnessed: list[WitnessedHead], stored: list[SignedTreeHead]
) -> tuple[int | None, str] | None:
    """What the database's own counter, stored tree and heads say against a log that otherwise verified.

    ``counted`` is the counter read before and after the log was read: placing
    moves it in the same transaction as it inserts, so with nobody editing it
    by hand, before <= entries read <= after.
    """
    before, after = counted
    if entries < before:
        return entries, (
            f"the log's counter says {before} entries were placed, but the log holds {entries}: entries from "
            f"index {entries} were removed, or the counter was changed by hand"
        )
    if entries > after:
        return after, (
            f"the log holds {entries} entries but its counter says only {after} were placed: the counter was set "
            f"back by hand, and the next entry would take index {after}, which is already used"
        )
    if covered > entries:
        return entries, (
            f"the log has {entries} entries but the audit tree kept for proofs already covered {covered}: "
            f"entries from index {entries} were removed"
        )
    kept = set(stored)
    for copy in witnessed:
        if copy.signed not in kept:
            head = copy.signed.head
            return None, (
                f"the tree head for {head.size} entries signed at {head.timestamp} ({copy.where}) is no longer in "
                "the database: it was deleted"
            )
    return None


def verify(*, against: Iterable[str] = ()) -> AuditCheck:
    """Place pending entries, recompute every leaf and root against the signed heads; name the first bad entry.

    The heads checked are those in the database, those in the witness file
    (kept outside it by ``publish``) and those in each saved copy named in
    ``against`` (files or http(s) URLs; one that cannot be read is refused
    with InvalidInput before anything is checked). Besides the hashes it
    checks each entry's readable columns, the copy of its leaf hash in the
    stored tree (so an entry edited and re-hashed is named by its index), the
    log's counter, and that no witnessed head has gone from the database.

    A pending entry that cannot be placed (its bytes were edited into something
    that is not an entry) makes the check fail too: it is an access whose
    entry would otherwise never reach the log.
    """
    saved = [copy for source in against for copy in witness.saved_heads(source)]
    with contextlib.suppress(IntegrityError):  # the counter was set back, so placing reused an index: reported below
        sequence_pending(wait=True)
    before, covered = committed_size(), tree.stored_size()
    witness_problem = None
    try:
        witnessed = witness.witnessed_heads()
    except InvalidInput as error:
        witnessed, witness_problem = [], error.text
    stored = heads.signed_heads()
    mismatch: list[tuple[int, str]] = []
    copies = tree.leaf_copies()

    def rows() -> Iterator[tuple[int, bytes, bytes]]:
        copy = next(copies, None)
        for index, data, digest, readable in entries_in_order():
            problem = _readable_mismatch(index, data, readable)
            while copy is not None and copy[0] < index:
                copy = next(copies, None)
            if problem is None and copy is not None and copy[0] == index and copy[1] != digest and copy[1] != leaf_hash(data):
                problem = _rehashed(index)
            if problem:
                mismatch.append((index, problem))
                return
            yield index, data, digest

    result = verify_log(rows(), stored, signing_key(config.data_dir()).public_key(), [*witnessed, *saved])
    ok, first_bad, problem = result.ok, result.first_bad_index, result.problem
    if mismatch and (ok or first_bad is None or first_bad >= mismatch[0][0]):
        ok, (first_bad, problem) = False, mismatch[0]
    if ok and witness_problem:
        ok, problem = False, witness_problem
    if ok and (found := _outside_problem(result.entries, (before, committed_size()), covered, [*witnessed, *saved], stored)):
        ok, (first_bad, problem) = False, found
    pending, pending_problem = _unreadable_pending()
    if pending_problem and ok:
        ok, problem = False, pending_problem
    return AuditCheck(
        ok=ok,
        entries=result.entries,
        first_bad_index=first_bad,
        problem=problem,
        tree_heads_checked=result.tree_heads_checked,
        root_hash=result.root_hash.hex(),
        entries_after_last_head=result.entries_after_last_head,
        entries_pending=pending,
        witnessed_heads_checked=result.witnessed_heads_checked,
        witness_file=str(witness.witness_file()),
    )
