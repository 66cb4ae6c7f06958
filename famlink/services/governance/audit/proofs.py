"""Proving an entry: an inclusion proof against the latest signed tree head, checked before it is handed out."""

from __future__ import annotations

import json
from typing import Any

from famlink.adapters.storage.governance.audit import heads, tree
from famlink.core.audit import InclusionProof, leaf_hash
from famlink.core.audit.merkle import inclusion_spans
from famlink.core.errors import InvalidInput, NotFound

#: The latest signed head this process has read: a proof checks in its own query that it is still the latest.
_seen: heads.Head | None = None


def _latest_head() -> heads.Head | None:
    global _seen
    _seen = heads.latest_head()
    return _seen


def prove(index: int) -> dict[str, Any]:
    """An inclusion proof for entry ``index`` against the latest signed tree head: one query, O(log n) rows.

    The query reads the tiles and the entry and asks which head is latest;
    only when that is not the head this process last read (someone
    published since) does it read the head and ask again. The proof is
    checked against the signed root, and the entry against the proved leaf
    hash, before it is handed out: a stored tree or entry changed since it
    was published gives a refusal, never a proof that does not hold.
    """
    head, fresh = _seen, False
    while True:
        if head is None or (not fresh and index >= head.size):
            head, fresh = _latest_head(), True
        if head is None:
            raise NotFound("no tree head has been published yet; run 'famlink audit publish'")
        if not 0 <= index < head.size:
            raise NotFound(
                f"entry {index} is not covered by the latest signed tree head ({head.size} entries); "
                "wait for the next 'famlink audit publish'"
            )
        spans = [(index, index + 1), *inclusion_spans(index, head.size)]
        try:
            (leaf, *path), found = tree.span_hashes(spans, head.size, extend=fresh, entry=index, latest=True)
        except InvalidInput:
            if fresh:
                raise
            head = None  # the head this process knew has gone (so its tiles may be missing): read it again
            continue
        proof = InclusionProof(index, head.size, leaf, tuple(path))
        if not fresh and (found.latest != (head.id, head.size) or not proof.verify(head.root_hash)):
            head = None  # published since, or not the head it was: read it and ask again
            continue
        break
    if not proof.verify(head.root_hash):
        raise InvalidInput("the stored log does not match the latest signed tree head; run 'famlink audit verify'")
    if found.entry is None or leaf_hash(found.entry) != leaf:
        raise InvalidInput(
            f"audit entry {index} is missing or no longer matches the hash it was published with; "
            "run 'famlink audit verify'"
        )
    return {
        "entry": found.entry.decode("utf-8"),
        "proof": proof.to_dict(),
        "signed_tree_head": json.loads(head.signed_json),
    }
