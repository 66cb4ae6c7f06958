"""A linkage run in the audit log: one entry committing to a Merkle tree of per-person leaves.

One ordinary entry per person per run would cost minutes at a million
records, so a run writes **one** entry (``linkage:run``) whose ``reasons``
carry the root and size of a tree over one leaf per person in the run
(docs/audit.md §9). A leaf says what the run did with that person's records:
how many are in their person after the run, which services they came from,
which services were kept apart because of consent and why, and whether a
child-protection break-glass let them in. Leaves are canonical JSON
(``canonical_json``) hashed and combined exactly as the main log's entries
(``merkle``), so a parent checks a **two-level proof**: their leaf is in the
run's tree, and the run's entry is in the log under a signed tree head.

Everything here is pure: the verifier takes the published proof document and
the log's public key and says whether it holds, and if not, why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from famlink.core.audit.entry import AuditEntry, AuditEvent, canonical_json
from famlink.core.audit.merkle import HASH_SIZE, MerkleTree, leaf_hash, root_of
from famlink.core.audit.proofs import InclusionProof
from famlink.core.audit.signing import SignedTreeHead, verify_tree_head
from famlink.core.errors import InvalidInput
from famlink.core.linkage.consent import PersonLinkageOutcome

LEAF_VERSION = 1
#: The ``reasons`` of a run's entry: ``linkage_run:<id>``, ``run_tree_size:<n>``, ``run_tree_root:<hex>``.
RUN_ID, TREE_SIZE, TREE_ROOT = "linkage_run:", "run_tree_size:", "run_tree_root:"
PROOF_TYPE = "linkage_run_inclusion"

#: Policy reason codes that mean the person (or their parent) said no, or has not said yes.
_SAID_NO = frozenset({"consent_refused", "consent_withdrawn", "opted_out_of_linkage", "opted_out_of_sharing"})
_NOT_YES = frozenset({"consent_missing", "consent_expired", "consent_level_too_low"})


class KeptApartBecause(StrEnum):
    """Why records were kept apart, in the terms a parent is told (``famlink.web.words``)."""

    SAID_NO = "said_no"
    NOT_YES = "not_yes"
    RULES = "rules"


def kept_apart_because(reasons: Iterable[str]) -> KeptApartBecause:
    """The reason a parent is given for records kept apart, from the policy's reason codes."""
    given = set(reasons)
    if given & _SAID_NO:
        return KeptApartBecause.SAID_NO
    if given & _NOT_YES:
        return KeptApartBecause.NOT_YES
    return KeptApartBecause.RULES


@dataclass(frozen=True, slots=True)
class RunLeaf:
    """What one run did with one person's records: the bytes a parent's proof starts from."""

    person: str
    run: int
    run_date: str  # YYYY-MM-DD
    records_joined: int
    services: tuple[str, ...]
    kept_apart: tuple[str, ...] = ()
    kept_apart_reasons: tuple[str, ...] = ()
    across_services: bool = True
    break_glass: bool = False
    version: int = field(default=LEAF_VERSION)

    def __post_init__(self) -> None:
        where = f"run {self.run}, person {self.person}"
        if not self.person:
            raise InvalidInput("a run leaf must name the person", where=where)
        for name in ("run", "records_joined"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"{name} must be a whole number >= 0, not {value!r}", where=where)
        try:
            date.fromisoformat(self.run_date)
        except (TypeError, ValueError):
            raise InvalidInput(f"run_date must be YYYY-MM-DD, not {self.run_date!r}", where=where) from None
        if self.version != LEAF_VERSION:
            raise InvalidInput(f"run leaf version {self.version!r} is not supported", where=where)
        set_ = object.__setattr__
        set_(self, "services", tuple(sorted(set(self.services))))
        set_(self, "kept_apart", tuple(sorted(set(self.kept_apart))))
        set_(self, "kept_apart_reasons", tuple(sorted(set(self.kept_apart_reasons))))

    @classmethod
    def of(cls, person: str, run: int, run_date: date, records_joined: int, services: Iterable[str],
           outcome: PersonLinkageOutcome | None = None) -> RunLeaf:
        """A person's leaf, with what the consent filter decided for them (if it said anything)."""
        outcome = outcome or PersonLinkageOutcome(person)
        return cls(person=person, run=run, run_date=run_date.isoformat(), records_joined=records_joined,
                   services=tuple(services), kept_apart=outcome.kept_apart,
                   kept_apart_reasons=outcome.reasons if outcome.kept_apart else (),
                   across_services=outcome.allowed_across_services, break_glass=outcome.break_glass)

    def to_dict(self) -> dict[str, Any]:
        return {"across_services": self.across_services, "break_glass": self.break_glass,
                "kept_apart": list(self.kept_apart), "kept_apart_reasons": list(self.kept_apart_reasons),
                "person": self.person, "records_joined": self.records_joined, "run": self.run,
                "run_date": self.run_date, "services": list(self.services), "version": self.version}

    def to_bytes(self) -> bytes:
        """The canonical bytes hashed into the run's tree (sorted keys, no whitespace, UTF-8)."""
        return canonical_json(self.to_dict())

    @property
    def because(self) -> KeptApartBecause | None:
        return kept_apart_because(self.kept_apart_reasons) if self.kept_apart else None

    @classmethod
    def from_bytes(cls, data: bytes) -> RunLeaf:
        """Parse a leaf as published, refusing bytes that are not its canonical form."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidInput(f"run leaf is not valid UTF-8 JSON: {error}") from None
        expected = set(cls.__dataclass_fields__)
        if not isinstance(raw, dict) or set(raw) != expected:
            raise InvalidInput(f"run leaf must be a JSON object with exactly the keys {sorted(expected)}")
        lists = ("services", "kept_apart", "kept_apart_reasons")
        if not all(isinstance(raw[k], list) and all(isinstance(v, str) for v in raw[k]) for k in lists):
            raise InvalidInput("run leaf: services, kept_apart and kept_apart_reasons must be lists of text")
        if not all(isinstance(raw[k], bool) for k in ("across_services", "break_glass")):
            raise InvalidInput("run leaf: across_services and break_glass must be true or false")
        leaf = cls(**{**raw, **{k: tuple(raw[k]) for k in lists}})
        if leaf.to_bytes() != data:
            raise InvalidInput("run leaf bytes are not in canonical form")
        return leaf


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


_names = lru_cache(maxsize=4096)(_text)  # service names and reason codes repeat across every leaf


def leaf_bytes(person: str, run: int, run_date: date, records_joined: int, services: Iterable[str],
               outcome: PersonLinkageOutcome | None = None) -> bytes:
    """``RunLeaf.of(...).to_bytes()``, written straight out: a run makes one per person (300,000 at 1M records).

    Keys in sorted order, no whitespace, strings as ``json.dumps`` writes them
    without ASCII escapes: exactly ``canonical_json`` (a property test holds the two equal).
    """
    if outcome is None or not (outcome.kept_apart or outcome.break_glass or not outcome.allowed_across_services):
        kept, why, across, glass = "", "", "true", "false"
    else:
        kept = ",".join(_names(s) for s in sorted(set(outcome.kept_apart)))
        why = ",".join(_names(r) for r in sorted(set(outcome.reasons))) if outcome.kept_apart else ""
        across = "true" if outcome.allowed_across_services else "false"
        glass = "true" if outcome.break_glass else "false"
    shown = ",".join(_names(s) for s in sorted(set(services)))
    return (f'{{"across_services":{across},"break_glass":{glass},"kept_apart":[{kept}],'
            f'"kept_apart_reasons":[{why}],"person":{_text(person)},"records_joined":{int(records_joined)},'
            f'"run":{int(run)},"run_date":"{run_date.isoformat()}","services":[{shown}],'
            f'"version":{LEAF_VERSION}}}').encode()


@dataclass(frozen=True, slots=True)
class RunTree:
    """The leaves of one run in tree order (by person id), their hashes and the tree over them."""

    persons: list[str]
    leaves: tuple[bytes, ...]
    hashes: bytes  # every leaf hash, 32 bytes each, in tree order
    tree: MerkleTree

    @property
    def root(self) -> bytes:
        return self.tree.root()

    @property
    def size(self) -> int:
        return len(self.tree)


def run_tree(leaves: Iterable[tuple[str, bytes]]) -> RunTree:
    """Hash every ``(person, leaf bytes)``, ordered by person id, and build the run's tree over them."""
    ordered = sorted(leaves)
    if len({person for person, _ in ordered}) != len(ordered):
        raise InvalidInput("a run's tree has one leaf per person; a person was given twice")
    data = tuple(leaf for _, leaf in ordered)
    digests = [leaf_hash(d) for d in data]
    return RunTree([person for person, _ in ordered], data, b"".join(digests), MerkleTree(digests))


def tree_from_hashes(hashes: bytes) -> MerkleTree:
    """The run's tree again, from its stored leaf hashes (32 bytes each): to prove one leaf."""
    return MerkleTree(hashes[i: i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE))


def commitment_reasons(run: int, size: int, root: bytes) -> tuple[str, ...]:
    """What the run's audit entry says about its tree, as reason codes (the entry format is unchanged)."""
    return (f"{RUN_ID}{run}", f"{TREE_SIZE}{size}", f"{TREE_ROOT}{root.hex()}")


@dataclass(frozen=True, slots=True)
class Commitment:
    """A run's tree as its audit entry names it."""

    run: int
    size: int
    root: bytes


def commitment_of(entry: AuditEntry) -> Commitment:
    """Read the run, tree size and root a ``linkage:run`` entry commits to; refuse any other entry."""
    if entry.action is not AuditEvent.LINKAGE_RUN:
        raise InvalidInput(f"audit entry {entry.index} is not a linkage run's entry ({entry.action.value})")
    said = {}
    for reason in entry.reasons:
        for prefix in (RUN_ID, TREE_SIZE, TREE_ROOT):
            if reason.startswith(prefix):
                said[prefix] = reason[len(prefix):]
    if set(said) != {RUN_ID, TREE_SIZE, TREE_ROOT}:
        raise InvalidInput(f"audit entry {entry.index} does not commit to a run's tree")
    try:
        return Commitment(int(said[RUN_ID]), int(said[TREE_SIZE]), bytes.fromhex(said[TREE_ROOT]))
    except ValueError:
        raise InvalidInput(f"audit entry {entry.index} names its run's tree in an unreadable form") from None


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """Whether a proof holds; if not, the first thing that failed, in words."""

    ok: bool
    problem: str | None = None
    leaf: RunLeaf | None = None
    entry: AuditEntry | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problem": self.problem,
                "leaf": None if self.leaf is None else self.leaf.to_dict(),
                "entry_index": None if self.entry is None else self.entry.index}


def _fail(problem: str) -> ProofCheck:
    return ProofCheck(False, problem)


def check_entry_proof(document: Any, public_key: Ed25519PublicKey) -> ProofCheck:
    """Check an entry's proof (``famlink audit prove``, the portal's download): the entry is in the log
    under a tree head signed by ``public_key``. Pure: never raises, never reads anything else."""
    try:
        data = document["entry"].encode("utf-8")
        entry = AuditEntry.from_bytes(data)
        proof = InclusionProof.from_dict(document["proof"])
        signed = SignedTreeHead.from_dict(document["signed_tree_head"])
    except (KeyError, TypeError, AttributeError) as error:
        return _fail(f"the proof cannot be read: {error!r} is missing or of the wrong kind")
    except InvalidInput as error:
        return _fail(f"the proof cannot be read: {error.text}")
    if not verify_tree_head(signed, public_key):
        return _fail("the tree head is not signed by the log's key")
    if leaf_hash(data) != proof.leaf_hash:
        return _fail(f"entry {entry.index} does not hash to the leaf the proof is for")
    if proof.index != entry.index:
        return _fail(f"the proof is for position {proof.index}, but the entry says it is entry {entry.index}")
    if proof.tree_size != signed.head.size:
        return _fail(f"the proof is for a log of {proof.tree_size} entries, the signed head for {signed.head.size}")
    if not proof.verify(signed.head.root_hash):
        return _fail(f"entry {entry.index} is not in the log under the signed tree head")
    return ProofCheck(True, entry=entry)


def check_run_proof(document: Any, public_key: Ed25519PublicKey, *, person: str | None = None,
                    run: int | None = None) -> ProofCheck:
    """Check a two-level proof: the leaf is in its run's tree, and the run's entry is in the signed log.

    ``person`` and ``run``, when given, must be the ones the leaf names. Pure:
    never raises; the first failure is named.
    """
    if not isinstance(document, dict) or document.get("type") != PROOF_TYPE:
        return _fail(f"not a linkage run proof (type {PROOF_TYPE!r})")
    try:
        data = document["leaf"].encode("utf-8")
        leaf = RunLeaf.from_bytes(data)
        in_run = InclusionProof.from_dict(document["run_proof"])
    except (KeyError, TypeError, AttributeError) as error:
        return _fail(f"the proof cannot be read: {error!r} is missing or of the wrong kind")
    except InvalidInput as error:
        return _fail(f"the proof cannot be read: {error.text}")
    if person is not None and leaf.person != person:
        return _fail(f"the leaf is about {leaf.person}, not {person}")
    if run is not None and leaf.run != run:
        return _fail(f"the leaf is from run {leaf.run}, not run {run}")
    in_log = check_entry_proof(document.get("log_proof"), public_key)
    if not in_log.ok or in_log.entry is None:
        return _fail(f"the run's entry: {in_log.problem}")
    try:
        commitment = commitment_of(in_log.entry)
    except InvalidInput as error:
        return _fail(error.text)
    if commitment.run != leaf.run:
        return _fail(f"the leaf is from run {leaf.run}, but the entry commits to run {commitment.run}")
    if leaf_hash(data) != in_run.leaf_hash:
        return _fail("the leaf does not hash to the leaf hash its proof is for: it was changed")
    if in_run.tree_size != commitment.size:
        return _fail(f"the proof is for a run tree of {in_run.tree_size} leaves, the entry commits to {commitment.size}")
    if not in_run.verify(commitment.root):
        return _fail(f"the leaf is not in run {commitment.run}'s tree (its proof does not reach the committed root)")
    return ProofCheck(True, leaf=leaf, entry=in_log.entry)


def run_proof_document(leaf: bytes, tree: MerkleTree, index: int, log_proof: dict[str, Any]) -> dict[str, Any]:
    """The two-level proof as published: the leaf, its path in the run's tree, and the entry's proof in the log."""
    return {"type": PROOF_TYPE, "leaf": leaf.decode("utf-8"),
            "run_proof": InclusionProof.build(tree, index).to_dict(), "log_proof": log_proof}



def check_stored_run(commitment: Commitment, hashes: bytes, leaves: Iterable[tuple[int, bytes]]) -> str | None:
    """None if a run's stored leaves are exactly what its entry committed to; else the first problem, in words.

    ``leaves``: ``(position, leaf bytes)`` in position order. Every leaf
    must hash to the stored hash at its position, name the run, and the
    stored hashes must make the root the entry names (``famlink audit verify-runs``).
    """
    run = commitment.run
    if len(hashes) != commitment.size * HASH_SIZE:
        return f"run {run}: its entry commits to {commitment.size} leaves, but {len(hashes) // HASH_SIZE} leaf hashes are stored"
    if root_of(hashes[i: i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)) != commitment.root:
        return f"run {run}: the stored leaf hashes do not make the root its audit entry names"
    expected, previous = 0, ""
    for position, data in leaves:
        if position != expected:
            return f"run {run}: leaf {expected} is missing"
        if leaf_hash(data) != hashes[position * HASH_SIZE: (position + 1) * HASH_SIZE]:
            return f"run {run}: leaf {position} was changed after the run committed to it"
        try:
            leaf = RunLeaf.from_bytes(data)
        except InvalidInput as error:
            return f"run {run}: leaf {position} cannot be read: {error.text}"
        if leaf.run != run or leaf.person <= previous:
            return f"run {run}: leaf {position} is not in its place (run {leaf.run}, person {leaf.person})"
        expected, previous = expected + 1, leaf.person
    if expected != commitment.size:
        return f"run {run}: leaf {expected} is missing ({commitment.size} committed)"
    return None
