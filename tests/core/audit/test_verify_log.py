"""verify_log names the FIRST entry that was changed, removed, inserted or reordered."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.audit import (
    AuditEntry,
    SignedTreeHead,
    TreeHead,
    WitnessedHead,
    leaf_hash,
    verify_log,
)

from .logbuilder import build_log, entry

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
ROWS, HEADS = build_log(40, [0, 8, 20, 33, 40], KEY)


def test_an_untouched_log_verifies() -> None:
    result = verify_log(ROWS, HEADS, PUBLIC)
    assert result.ok, result.problem
    assert result.entries == 40 and result.tree_heads_checked == 5
    assert result.first_bad_index is None and result.entries_after_last_head == 0


def test_entries_after_the_last_head_are_counted() -> None:
    result = verify_log(ROWS, HEADS[:3], PUBLIC)
    assert result.ok and result.entries_after_last_head == 20


def _changed(index: int) -> list[tuple[int, bytes, bytes]]:
    rows = list(ROWS)
    i, data, digest = rows[index]
    rows[index] = (i, data.replace(b"practitioner", b"practitionex"), digest)
    return rows


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 39))
def test_a_changed_entry_is_named(index: int) -> None:
    result = verify_log(_changed(index), HEADS, PUBLIC)
    assert not result.ok
    assert result.first_bad_index == index
    assert "changed" in result.problem


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 38))
def test_a_removed_entry_is_named(index: int) -> None:
    rows = ROWS[:index] + ROWS[index + 1 :]
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == index
    assert f"entry {index} is missing" in result.problem


def test_a_removed_run_of_entries_is_named() -> None:
    result = verify_log(ROWS[:10] + ROWS[14:], HEADS, PUBLIC)
    assert result.first_bad_index == 10 and "entries 10 to 13 are missing" in result.problem


def test_entries_removed_from_the_end_are_caught_by_the_tree_head() -> None:
    result = verify_log(ROWS[:35], HEADS, PUBLIC)
    assert result.first_bad_index == 35 and "were removed" in result.problem
    assert result.tree_heads_checked == 4


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 38))
def test_swapped_entries_are_named_as_reordered(index: int) -> None:
    rows = list(ROWS)
    rows[index], rows[index + 1] = rows[index + 1], rows[index]
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == index
    assert "reordered" in result.problem


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 39))
def test_a_duplicated_or_inserted_entry_is_named(index: int) -> None:
    forged = entry(index - 1, subject="person-forged")
    row = (index - 1, forged.to_bytes(), forged.leaf_hash)
    rows = [*ROWS[:index], row, *ROWS[index:]]
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == index
    assert "inserted" in result.problem


def test_an_inserted_entry_with_a_later_number_is_named() -> None:
    forged = entry(30, subject="person-forged")
    rows = [*ROWS[:5], (30, forged.to_bytes(), forged.leaf_hash), *ROWS[5:]]
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == 5 and "inserted at position 5" in result.problem


def test_contents_moved_between_rows_are_caught() -> None:
    rows = list(ROWS)
    rows[7] = (7, ROWS[9][1], ROWS[9][2])
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == 7 and "says it is entry 9" in result.problem


def test_a_rewritten_history_with_recomputed_hashes_is_caught_by_the_signed_head() -> None:
    forged = AuditEntry(
        **{
            **entry(12).to_dict(),
            "decision": "allow",
            "data_categories": ("health",),
            "reasons": (),
        }
    )
    rows = list(ROWS)
    rows[12] = (12, forged.to_bytes(), forged.leaf_hash)
    result = verify_log(rows, HEADS, PUBLIC)
    assert not result.ok
    assert result.first_bad_index == 8  # the last good signed size
    assert "from index 8 to 19" in result.problem
    assert result.tree_heads_checked == 2


def test_a_forged_tree_head_is_caught() -> None:
    head = HEADS[2]
    forged = SignedTreeHead(
        TreeHead(head.head.size, leaf_hash(b"x"), head.head.timestamp), head.signature, head.key_id
    )
    result = verify_log(ROWS, [*HEADS[:2], forged, *HEADS[3:]], PUBLIC)
    assert not result.ok and "not signed" in result.problem
    other = build_log(3, [3], Ed25519PrivateKey.generate())[1]
    assert not verify_log(ROWS, other, PUBLIC).ok


@pytest.mark.parametrize("bad", [b"not json", b"[1]"])
def test_unreadable_entries_are_named(bad: bytes) -> None:
    rows = list(ROWS)
    rows[3] = (3, bad, leaf_hash(bad))
    result = verify_log(rows, HEADS, PUBLIC)
    assert result.first_bad_index == 3 and "cannot be read" in result.problem
    assert "entry 3 was changed" in result.problem and "moved" not in result.problem


def test_storage_memoryviews_are_accepted() -> None:
    rows = [(i, memoryview(d), memoryview(h)) for i, d, h in ROWS]
    assert verify_log(rows, HEADS, PUBLIC).ok


def test_a_witnessed_head_catches_a_tail_cut_with_its_stored_head() -> None:
    witnessed = [WitnessedHead(HEADS[3], "the witness file /w/heads.jsonl, line 4")]
    result = verify_log(ROWS[:30], HEADS[:3], PUBLIC, witnessed=witnessed)
    assert not result.ok and result.first_bad_index == 30
    assert "the witness file /w/heads.jsonl, line 4" in result.problem and "from index 30 were removed" in result.problem


def test_a_witnessed_head_catches_a_rewritten_history_and_counts_when_it_holds() -> None:
    witnessed = [WitnessedHead(head, f"my copy, head {n}") for n, head in enumerate(HEADS)]
    result = verify_log(ROWS, HEADS, PUBLIC, witnessed=witnessed)
    assert result.ok and result.tree_heads_checked == 5 and result.witnessed_heads_checked == 5
    rewritten, _ = build_log(40, [], KEY)
    rows = list(rewritten)
    forged = AuditEntry(**{**entry(12).to_dict(), "decision": "deny"})
    rows[12] = (12, forged.to_bytes(), forged.leaf_hash)
    result = verify_log(rows, [], PUBLIC, witnessed=witnessed)
    assert not result.ok and "my copy, head 2" in result.problem and "do not match" in result.problem


def test_a_forged_witnessed_head_is_named_with_where_it_was_kept() -> None:
    head = HEADS[2]
    forged = SignedTreeHead(TreeHead(head.head.size + 1, head.head.root_hash, head.head.timestamp), head.signature,
                            head.key_id)
    result = verify_log(ROWS, HEADS, PUBLIC, witnessed=[WitnessedHead(forged, "line 7 of my copy")])
    assert not result.ok and "line 7 of my copy" in result.problem and "not signed" in result.problem
