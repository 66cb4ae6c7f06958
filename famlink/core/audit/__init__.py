"""The verifiable audit log: RFC 9162 Merkle hashing, signed tree heads, checks.

Storage (the Django adapter) keeps the rows; this package decides what the
bytes are, how they hash and how anyone can check them. See docs/audit.md.
"""

from famlink.core.audit.entry import (
    READ_EVENTS,
    AuditEntry,
    AuditEvent,
    AuditFacts,
    Verdict,
    canonical_json,
    utc_timestamp,
)
from famlink.core.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    RootAccumulator,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from famlink.core.audit.proofs import ConsistencyProof, InclusionProof
from famlink.core.audit.signing import (
    SignedTreeHead,
    TreeHead,
    load_private_key,
    load_public_key,
    new_tree_head,
    public_key_pem,
    sign_tree_head,
    signing_key,
    verify_tree_head,
)
from famlink.core.audit.verify import LogVerification, StoredEntry, verify_log
from famlink.core.audit.witness import WitnessedHead, heads_in_text

__all__ = [
    "EMPTY_ROOT",
    "READ_EVENTS",
    "AuditEntry",
    "AuditEvent",
    "AuditFacts",
    "ConsistencyProof",
    "InclusionProof",
    "LogVerification",
    "MerkleTree",
    "RootAccumulator",
    "SignedTreeHead",
    "StoredEntry",
    "TreeHead",
    "Verdict",
    "WitnessedHead",
    "canonical_json",
    "heads_in_text",
    "leaf_hash",
    "load_private_key",
    "load_public_key",
    "new_tree_head",
    "node_hash",
    "public_key_pem",
    "root_of",
    "sign_tree_head",
    "signing_key",
    "utc_timestamp",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_tree_head",
]
