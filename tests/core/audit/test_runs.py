"""A linkage run's commitment: leaves as canonical bytes, and two-level proofs that hold only when nothing changed."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.audit import (
    AuditEntry,
    AuditEvent,
    InclusionProof,
    MerkleTree,
    Verdict,
    canonical_json,
    new_tree_head,
    sign_tree_head,
)
from famlink.core.audit.runs import (
    Commitment,
    KeptApartBecause,
    RunLeaf,
    check_entry_proof,
    check_run_proof,
    check_stored_run,
    commitment_reasons,
    kept_apart_because,
    leaf_bytes,
    run_proof_document,
    run_tree,
)
from famlink.core.errors import InvalidInput
from famlink.core.linkage.consent import PersonLinkageOutcome
from famlink.core.taxonomy import DataCategory, Purpose

KEY = Ed25519PrivateKey.generate()
DAY = date(2026, 12, 4)
AT = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def _run(run: int, persons: list[str], outcomes: dict[str, PersonLinkageOutcome] | None = None,
         log_before: int = 5) -> tuple[dict[str, Any], Any]:
    """A run's tree, its entry placed in a signed log after ``log_before`` other entries; proofs for every person."""
    outcomes = outcomes or {}
    tree = run_tree((p, leaf_bytes(p, run, DAY, 1 + i, ("gp", "school"), outcomes.get(p)))
                    for i, p in enumerate(persons))
    entries = [AuditEntry(index=i, actor_id="staff", actor_role="practitioner", organisation="Org",
                          purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id="P", data_categories=(DataCategory.HEALTH,),
                          action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW, occurred_at=AT)
               for i in range(log_before)]
    entries.append(AuditEntry(index=log_before, actor_id="famlink-linkage", actor_role="system", organisation="",
                              purpose=Purpose.RECORD_LINKAGE, subject_id=None, data_categories=(DataCategory.IDENTITY,),
                              action=AuditEvent.LINKAGE_RUN, decision=Verdict.ALLOW, occurred_at=AT,
                              reasons=commitment_reasons(run, tree.size, tree.root)))
    log = MerkleTree(e.leaf_hash for e in entries)
    head = sign_tree_head(new_tree_head(len(log), log.root(), AT), KEY)
    log_proof = {"entry": entries[-1].to_bytes().decode(), "proof": InclusionProof.build(log, log_before).to_dict(),
                 "signed_tree_head": json.loads(head.to_json())}
    proofs = {p: run_proof_document(tree.leaves[i], tree.tree, i, log_proof) for i, p in enumerate(tree.persons)}
    return proofs, tree


def test_a_leaf_written_straight_out_is_its_canonical_json() -> None:
    outcome = PersonLinkageOutcome("P1", allowed_across_services=False, reasons=("consent_refused",),
                             kept_apart=("police", "gp"), break_glass=True)
    written = leaf_bytes("P1", 7, DAY, 3, ("school", "gp", "gp"), outcome)
    assert written == RunLeaf.of("P1", 7, DAY, 3, ("school", "gp"), outcome).to_bytes()
    assert written == canonical_json(json.loads(written))
    assert RunLeaf.from_bytes(written).kept_apart == ("gp", "police")


@settings(max_examples=60, deadline=None)
@given(person=names, services=st.lists(names, max_size=4), kept=st.lists(names, max_size=3),
       reasons=st.lists(st.sampled_from(["consent_refused", "consent_missing", "x"]), max_size=3),
       across=st.booleans(), glass=st.booleans(), joined=st.integers(0, 10**6))
def test_any_leaf_written_straight_out_reads_back_as_itself(person: str, services: list[str], kept: list[str],
                                                            reasons: list[str], across: bool, glass: bool,
                                                            joined: int) -> None:
    outcome = PersonLinkageOutcome(person, across, tuple(reasons), tuple(kept), glass)
    written = leaf_bytes(person, 3, DAY, joined, services, outcome)
    assert written == RunLeaf.of(person, 3, DAY, joined, services, outcome).to_bytes()
    assert RunLeaf.from_bytes(written).to_bytes() == written


def test_bad_leaf_bytes_are_refused_with_a_reason() -> None:
    good = leaf_bytes("P1", 7, DAY, 3, ("gp",))
    for bad, said in [(b"not json", "not valid"), (good.replace(b'"run":7,', b'"run":7, '), "canonical"),
                      (good.replace(b'"records_joined":3', b'"records_joined":-3'), "whole number"),
                      (good.replace(b',"version":1', b""), "exactly the keys")]:
        with pytest.raises(InvalidInput, match=said):
            RunLeaf.from_bytes(bad)


def test_why_records_were_kept_apart_in_a_parents_terms() -> None:
    assert kept_apart_because(["opted_out_of_linkage"]) is KeptApartBecause.SAID_NO
    assert kept_apart_because(["consent_missing"]) is KeptApartBecause.NOT_YES
    assert kept_apart_because([]) is KeptApartBecause.RULES


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("ABCDEFGH0123456789", min_size=1, max_size=6), min_size=1, max_size=40, unique=True),
       st.integers(0, 20), st.data())
def test_a_valid_two_level_proof_passes_for_every_person(persons: list[str], before: int, data: st.DataObject) -> None:
    proofs, _tree = _run(9, persons, log_before=before)
    person = data.draw(st.sampled_from(persons))
    checked = check_run_proof(proofs[person], KEY.public_key(), person=person, run=9)
    assert checked.ok, checked.problem
    assert checked.leaf is not None and checked.leaf.person == person


def _tampered(proof: dict[str, Any], change: str) -> dict[str, Any]:
    out = copy.deepcopy(proof)
    if change == "leaf":
        out["leaf"] = out["leaf"].replace('"records_joined":', '"records_joined":1')
    elif change == "run root":
        entry = json.loads(out["log_proof"]["entry"])
        entry["reasons"][2] = "run_tree_root:" + "00" * 32
        out["log_proof"]["entry"] = canonical_json(entry).decode()
    elif change == "index":
        out["run_proof"]["index"] = (out["run_proof"]["index"] + 1) % out["run_proof"]["tree_size"]
    elif change == "log index":
        out["log_proof"]["proof"]["index"] += 1
    elif change == "head":
        out["log_proof"]["signed_tree_head"]["tree_head"]["size"] += 1
    return out


@pytest.mark.parametrize("change", ["leaf", "run root", "index", "log index", "head"])
def test_a_changed_leaf_root_index_or_head_fails(change: str) -> None:
    proofs, _ = _run(9, ["P1", "P2", "P3", "P4", "P5"])
    assert check_run_proof(proofs["P3"], KEY.public_key()).ok
    checked = check_run_proof(_tampered(proofs["P3"], change), KEY.public_key())
    assert not checked.ok and checked.problem


def test_a_proof_for_another_run_or_person_fails() -> None:
    nine, _ = _run(9, ["P1", "P2", "P3"])
    ten, _ = _run(10, ["P1", "P2", "P3"])
    assert not check_run_proof(nine["P2"], KEY.public_key(), run=10).ok
    assert not check_run_proof(nine["P2"], KEY.public_key(), person="P3").ok
    mixed = {**nine["P2"], "log_proof": ten["P2"]["log_proof"]}  # run 9's leaf against run 10's entry
    checked = check_run_proof(mixed, KEY.public_key())
    assert not checked.ok and "run 10" in (checked.problem or "")
    other_key = Ed25519PrivateKey.generate().public_key()
    assert "signed" in (check_run_proof(nine["P2"], other_key).problem or "")


@settings(max_examples=50, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)))
def test_anything_else_is_refused_without_raising(junk: Any) -> None:
    assert not check_run_proof(junk, KEY.public_key()).ok
    assert not check_entry_proof(junk, KEY.public_key()).ok
    assert not check_run_proof({"type": "linkage_run_inclusion", "leaf": junk, "run_proof": junk,
                                "log_proof": junk}, KEY.public_key()).ok


def test_stored_leaves_are_checked_against_the_root_the_entry_names() -> None:
    _, tree = _run(4, ["P1", "P2", "P3"])
    said = Commitment(4, tree.size, tree.root)
    stored = list(enumerate(tree.leaves))
    assert check_stored_run(said, tree.hashes, stored) is None
    assert "leaf 1 was changed" in (check_stored_run(said, tree.hashes, [stored[0], (1, stored[2][1]), stored[2]]) or "")
    assert "leaf 2 is missing" in (check_stored_run(said, tree.hashes, stored[:2]) or "")
    assert "do not make the root" in (check_stored_run(Commitment(4, 3, b"\0" * 32), tree.hashes, stored) or "")
    assert "commits to 4 leaves" in (check_stored_run(Commitment(4, 4, tree.root), tree.hashes, stored) or "")
    assert "not in its place" in (check_stored_run(Commitment(5, 3, tree.root), tree.hashes, stored) or "")
