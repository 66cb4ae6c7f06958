"""Proving what a linkage run did with one person's records: a two-level proof, checked before it is handed out.

Level one: the person's leaf is in the run's tree (rebuilt from the leaf
hashes stored with the run). Level two: the run's entry, which names that
tree's root, is in the audit log under the latest signed tree head
(``proofs.prove``). docs/audit.md §9 says how to check it with your own code.
"""

from __future__ import annotations

from typing import Any

from famlink import config
from famlink.adapters.storage.linkage import run_log
from famlink.core.audit import signing_key
from famlink.core.audit.runs import check_run_proof, run_proof_document, tree_from_hashes
from famlink.core.errors import InvalidInput
from famlink.services.governance.audit.proofs import prove


def prove_run(person: str, run: int) -> dict[str, Any]:
    """The two-level proof that ``run`` committed to ``person``'s leaf, against the latest signed head.

    Refuses ('not found') a run that did not include them, or whose entry no
    signed head covers yet; refuses (invalid) a stored leaf or tree that no
    longer matches what the run committed to, never handing out a proof that
    does not hold.
    """
    found = run_log.leaf_in_tree(run, person)
    tree = tree_from_hashes(found.hashes)
    document = run_proof_document(found.leaf, tree, found.position, prove(found.audit_index))
    check = check_run_proof(document, signing_key(config.data_dir()).public_key(), person=person, run=run)
    if not check.ok:
        raise InvalidInput(f"the stored record of linkage run {run} does not hold ({check.problem}); "
                           "run 'famlink audit verify'")
    return document
