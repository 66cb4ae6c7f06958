"""Publishing the audit log: a signed tree head over every entry so far, kept in and outside the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.governance.audit import heads, tree, witness
from famlink.adapters.storage.governance.audit.rows import committed_size
from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
from famlink.core.audit import (
    ConsistencyProof,
    SignedTreeHead,
    TreeHead,
    new_tree_head,
    sign_tree_head,
    signing_key,
    verify_consistency,
)
from famlink.core.errors import InvalidInput


def public_tree_heads() -> list[dict[str, Any]]:
    """Every published signed tree head, oldest first, in the published JSON form.

    Each carries ``consistency_with_previous``: the consistency proof from
    the head before it (docs/audit.md §3), so that anyone holding an older
    head can check, with their own code, that the log only grew since.
    """
    sequence_pending()  # a reader of the log: leave nothing pending behind it
    return [
        {**json.loads(signed), "consistency_with_previous": json.loads(proof) if proof else None}
        for signed, proof in heads.published()
    ]


@dataclass(frozen=True, slots=True)
class Publication:
    """What ``publish`` did: the head it signed, where it kept a copy, and what each witness URL said."""

    signed: SignedTreeHead
    witness_file: Path
    witnesses: tuple[witness.WitnessReport, ...] = ()

    @property
    def head(self) -> TreeHead:
        return self.signed.head


def _still_extends(earlier: SignedTreeHead, where: str, size: int, root: bytes) -> list[bytes]:
    """The consistency proof from an earlier head to the log of ``size`` entries; refuse if there is none."""
    head = earlier.head
    if head.size > size:
        raise InvalidInput(
            f"the log holds {size} entries, fewer than the {head.size} of the tree head signed at "
            f"{head.timestamp} ({where}): entries were removed; run 'famlink audit verify'"
        )
    proof = tree.consistency(head.size, size)
    if not verify_consistency(head.size, size, head.root_hash, root, proof):
        raise InvalidInput(
            f"the log no longer matches the tree head signed at {head.timestamp} ({where}), so a new head "
            "would contradict it; run 'famlink audit verify'"
        )
    return proof


def publish(*, at: datetime | None = None) -> Publication:
    """Sign the tree head over every entry committed before the call, store it, and witness it outside the database.

    The root comes from the stored tree (``tree``), extended first with the
    leaf hashes it lacks: checking those against the entries is ``verify``'s
    job. It refuses to sign a head that the latest stored head or the latest
    witnessed head does not extend (the log was cut or rewritten). The head
    is kept in the witness file and POSTed to the witness URLs after it is
    stored; a URL that fails is reported, and the head stays published.
    """
    sequence_pending(wait=True)
    with transaction.atomic():
        tree.take_tree()  # one publish at a time: the size is read after any other has stored its head
        size = committed_size()
        covered = tree.extend_to(size)
        if covered > size:
            raise InvalidInput(
                f"the log holds {size} entries but its stored tree already covered {covered}: "
                "entries were removed; run 'famlink audit verify'"
            )
        root = tree.root(size)
        previous = heads.latest_head()
        proof: ConsistencyProof | None = None
        if previous is not None:
            earlier = previous.signed
            proof = ConsistencyProof(earlier.head.size, size, tuple(_still_extends(earlier, "in the database", size, root)))
        witnessed = witness.witnessed_heads()
        if witnessed:
            latest = max(witnessed, key=lambda copy: copy.signed.head.size)
            try:
                _still_extends(latest.signed, latest.where, size, root)
            except InvalidInput as error:
                raise InvalidInput(
                    f"{error.message}. If the entries were lost for good (a database restored from an older backup), "
                    "keep the witness file as the record of that, move it aside and publish again: the heads "
                    "published from then on start a new witnessed history (docs/audit.md §8)"
                ) from None
        head = new_tree_head(size, root, at or timezone.now())
        signed = sign_tree_head(head, signing_key(config.data_dir()))
        heads.store(signed, proof)
    path = witness.keep(signed)
    return Publication(signed, path, tuple(witness.send(signed)))
