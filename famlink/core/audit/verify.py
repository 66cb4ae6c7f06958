"""Check a whole stored audit log against its signed tree heads.

Anyone holding the published entries and tree heads can run this (or their
own code following docs/audit.md). It reads the log once, in order, keeping
O(log n) hashes, and stops at the FIRST problem, naming it in plain words:

- an entry whose bytes no longer match its stored leaf hash (changed);
- an index gap (removed), a repeated index (inserted), an index that turns
  up later (reordered), or bytes that name a different index (moved);
- a tree head whose signature fails, or whose root differs from the root
  recomputed at its size (history rewritten, hashes and all);
- a tree head larger than the log (entries removed from the end).

Heads kept outside the database (``WitnessedHead``: the witness file, a
saved copy of the public page) are checked exactly as the stored ones, and a
failure names where that copy was kept: cutting the log's tail along with
its stored head does not get past a copy kept elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from famlink.core.audit.merkle import EMPTY_ROOT, RootAccumulator, leaf_hash
from famlink.core.audit.signing import SignedTreeHead, verify_tree_head
from famlink.core.audit.witness import WitnessedHead


class StoredEntry(NamedTuple):
    """One row as storage holds it; plain tuples of the same shape work too."""

    log_index: int  # not ``index``: that name belongs to tuple.index
    entry_bytes: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class LogVerification:
    ok: bool
    entries: int  # entries read before stopping
    first_bad_index: int | None
    problem: str | None
    tree_heads_checked: int  # heads whose signature and root both matched
    root_hash: bytes  # root over the entries read
    entries_after_last_head: int = 0  # not yet covered by any signed head
    witnessed_heads_checked: int = 0  # heads kept outside the database whose signature and root matched


@dataclass(slots=True)
class _Check:
    """One distinct signed head to check, and where its copies were kept."""

    signed: SignedTreeHead
    stored: bool = False  # among the database's heads
    where: list[str] | None = None  # outside copies, in words

    def named(self) -> str:
        head = self.signed.head
        kept = f" (kept in {'; '.join(self.where)})" if self.where else ""
        return f"the tree head signed at {head.timestamp}{kept}"


def _distinct(tree_heads: Iterable[SignedTreeHead], witnessed: Iterable[WitnessedHead]) -> list[_Check]:
    checks: dict[SignedTreeHead, _Check] = {}
    for signed in tree_heads:
        checks.setdefault(signed, _Check(signed)).stored = True
    for copy in witnessed:
        check = checks.setdefault(copy.signed, _Check(copy.signed))
        check.where = [*(check.where or []), copy.where]
    return sorted(checks.values(), key=lambda check: check.signed.head.size)


def verify_log(
    stored: Iterable[tuple[int, bytes, bytes]],
    tree_heads: Iterable[SignedTreeHead],
    public_key: Ed25519PublicKey,
    witnessed: Iterable[WitnessedHead] = (),
) -> LogVerification:
    """Recompute every leaf and root; report the first thing that is wrong.

    ``tree_heads`` are the heads stored with the log; ``witnessed`` are copies
    kept elsewhere, checked the same way (a head in both is checked once).
    """
    heads = _distinct(tree_heads, witnessed)
    accumulator = RootAccumulator()
    checked = witnessed_checked = 0

    def failed(first_bad: int | None, problem: str) -> LogVerification:
        return LogVerification(
            ok=False,
            entries=accumulator.size,
            first_bad_index=first_bad,
            problem=problem,
            tree_heads_checked=checked,
            root_hash=accumulator.root(),
            witnessed_heads_checked=witnessed_checked,
        )

    def passed(check: _Check) -> None:
        nonlocal checked, witnessed_checked
        checked += check.stored
        witnessed_checked += check.where is not None

    for check in heads:
        if not verify_tree_head(check.signed, public_key):
            head = check.signed.head
            kept = f" (kept in {'; '.join(check.where)})" if check.where else ""
            return failed(
                None,
                f"the tree head for {head.size} entries dated {head.timestamp}{kept} is not signed "
                "by the log's key: it was forged or altered",
            )

    pending = iter(heads)
    next_head = next(pending, None)
    good_size = 0
    while next_head is not None and next_head.signed.head.size == 0:
        if next_head.signed.head.root_hash != EMPTY_ROOT:
            return failed(0, f"{next_head.named()} is for an empty log but does not have the empty root")
        passed(next_head)
        next_head = next(pending, None)

    rows: Iterator[tuple[int, bytes, bytes]] = iter(stored)
    for index, data, stored_hash in rows:
        expected = accumulator.size
        if index != expected:
            return failed(expected, _index_problem(expected, index, rows))
        data = bytes(data)
        digest = leaf_hash(data)
        if digest != bytes(stored_hash):
            return failed(
                index,
                f"entry {index} was changed after it was logged: its contents no longer "
                "match its stored leaf hash",
            )
        claimed = _claimed_index(data)
        if claimed is None:
            return failed(
                index,
                f"entry {index} was changed after it was logged: it cannot be read as an audit entry any more",
            )
        if claimed != index:
            return failed(index, f"the entry stored at position {index} says it is entry {claimed}: entries were moved")
        accumulator.append(digest)
        while next_head is not None and next_head.signed.head.size == accumulator.size:
            head = next_head.signed.head
            if accumulator.root() != head.root_hash:
                return failed(
                    good_size,
                    f"the first {head.size} entries do not match {next_head.named()}: an entry from index "
                    f"{good_size} to {head.size - 1} was changed, inserted, removed or reordered and its "
                    "hashes rewritten to hide it",
                )
            good_size = head.size
            passed(next_head)
            next_head = next(pending, None)

    if next_head is not None:
        head = next_head.signed.head
        return failed(
            accumulator.size,
            f"the log has {accumulator.size} entries but {next_head.named()} says it had "
            f"{head.size}: entries from index {accumulator.size} were removed",
        )
    return LogVerification(
        ok=True,
        entries=accumulator.size,
        first_bad_index=None,
        problem=None,
        tree_heads_checked=checked,
        root_hash=accumulator.root(),
        entries_after_last_head=accumulator.size - good_size,
        witnessed_heads_checked=witnessed_checked,
    )


def _claimed_index(data: bytes) -> int | None:
    """The index written inside the entry's own bytes (hashed, so it cannot lie)."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    index = value.get("index") if isinstance(value, dict) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def _index_problem(expected: int, found: int, rest: Iterator[tuple[int, bytes, bytes]]) -> str:
    """Say whether an out-of-sequence index means removal, insertion or reordering.

    Reads ahead through the rest of the log (only when something is already
    wrong) to see whether the missing index turns up later.
    """
    if found < expected:
        return (
            f"position {expected} holds a second entry numbered {found}: "
            "an entry was inserted or duplicated"
        )
    expected_later = found_again = False
    for index, _, _ in rest:
        expected_later = expected_later or index == expected
        found_again = found_again or index == found
        if expected_later and found_again:
            break
    if expected_later and found_again:
        return (
            f"an entry numbered {found} was inserted at position {expected}; "
            f"the real entry {found} comes later"
        )
    if expected_later:
        return f"entry {expected} appears later in the log, after entry {found}: entries were reordered"
    if found == expected + 1:
        return f"entry {expected} is missing: it was removed"
    return f"entries {expected} to {found - 1} are missing: they were removed"
