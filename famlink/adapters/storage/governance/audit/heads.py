"""Signed tree heads as the database keeps them (``PublishedTreeHead``): stored by ``publish``, read by everyone."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from famlink.adapters.storage.governance.audit.rows import table
from famlink.adapters.storage.governance.models import PublishedTreeHead
from famlink.core.audit import ConsistencyProof, SignedTreeHead

#: How the latest signed head is chosen (the largest; of equal sizes, the last published).
LATEST = "ORDER BY size DESC, id DESC LIMIT 1"


@dataclass(frozen=True, slots=True)
class Head:
    """The latest signed tree head, with its row's id (a proof checks it is still the latest)."""

    id: int
    size: int
    root_hash: bytes
    signed_json: str

    @property
    def signed(self) -> SignedTreeHead:
        return SignedTreeHead.from_json(self.signed_json)


def latest_head() -> Head | None:
    """The latest signed tree head, or None before the first is published."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, size, root_hash, signed_json FROM {table(PublishedTreeHead)} {LATEST}")
        row = cursor.fetchone()
    return None if row is None else Head(int(row[0]), int(row[1]), bytes.fromhex(row[2]), row[3])


def signed_heads() -> list[SignedTreeHead]:
    """Every signed tree head in the database, oldest first."""
    return [SignedTreeHead.from_json(text) for text in PublishedTreeHead.objects.values_list("signed_json", flat=True)]


def published() -> list[tuple[str, str]]:
    """Every signed tree head as published, oldest first: its signed JSON and the consistency proof
    from the head before it (JSON; empty for the first)."""
    return list(PublishedTreeHead.objects.values_list("signed_json", "consistency_json"))


def store(signed: SignedTreeHead, proof: ConsistencyProof | None) -> None:
    """Keep a newly signed head, with the consistency proof from the latest before it (None for the first)."""
    head = signed.head
    PublishedTreeHead.objects.create(
        size=head.size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        key_id=signed.key_id,
        signed_json=signed.to_json(),
        published_at=timezone.now(),
        consistency_json="" if proof is None else json.dumps(proof.to_dict()),
    )
