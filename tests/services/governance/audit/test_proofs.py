"""Inclusion proofs from the stored tree: a few rows read, whatever the log's size; right across publishes."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from famlink.adapters.storage.governance.audit import tree
from famlink.adapters.storage.governance.audit.append import append, append_many
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    AuditTreeTile,
    PublishedTreeHead,
)
from famlink.core.audit import InclusionProof, leaf_hash, verify_consistency, verify_inclusion
from famlink.core.errors import NotFound
from famlink.services.governance.audit.proofs import prove
from famlink.services.governance.audit.publication import public_tree_heads, publish
from famlink.services.governance.audit.verification import verify
from tests.common.builders import facts
from tests.common.concurrency import at_once

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    append_many([facts(i) for i in range(n)])


def assert_proves(index: int, size: int, root: bytes) -> None:
    found = prove(index)
    proof = InclusionProof.from_dict(found["proof"])
    assert proof.index == index and proof.tree_size == size
    assert proof.leaf_hash == leaf_hash(found["entry"].encode())  # the entry shown is the entry proved
    assert proof.verify(root)


def test_a_proof_reads_a_few_rows_not_the_whole_log() -> None:
    log(700)
    signed = publish().signed
    entries = AuditLogEntry._meta.db_table
    with CaptureQueriesContext(connection) as first:  # this process has not read this head yet
        assert_proves(3, 700, signed.head.root_hash)
    assert len(first) <= 3
    for index in (0, 1, 255, 256, 511, 699):
        with CaptureQueriesContext(connection) as queries:
            assert_proves(index, 700, signed.head.root_hash)
        assert len(queries) == 1, [q["sql"] for q in queries]  # its tiles, the entry, and is the head still latest
        assert entries in queries[0]["sql"] and "leaf_hash" not in queries[0]["sql"]  # the proved entry, no more
    log(5)
    newer = publish().signed
    assert_proves(702, 705, newer.head.root_hash)  # a head published since is noticed
    assert_proves(3, 705, newer.head.root_hash)


@pytest.mark.parametrize("sizes", [[1, 2, 3], [15, 16, 17], [255, 256, 257, 300], [1, 300], [16, 4096 + 17]])
def test_proofs_and_consistency_hold_as_the_stored_tree_grows_in_pieces(sizes: list[int]) -> None:
    previous = None
    for size in sizes:
        log(size - (previous.head.size if previous else 0))
        published = publish()
        head = published.signed.head
        for index in {0, size // 2, size - 1, max(0, size - 17)}:
            assert_proves(index, size, head.root_hash)
        if previous is not None:
            proof = tree.consistency(previous.head.size, size)
            assert verify_consistency(previous.head.size, size, previous.head.root_hash, head.root_hash, proof)
            shown = public_tree_heads()[-1]["consistency_with_previous"]
            assert shown["old_size"] == previous.head.size and shown["path"] == [h.hex() for h in proof]
        previous = published.signed


def test_heads_published_before_the_stored_tree_still_get_proofs() -> None:
    log(40)
    signed = publish().signed
    AuditTreeTile.objects.all().delete()  # as on a database upgraded from before the stored tree
    assert_proves(33, 40, signed.head.root_hash)
    assert AuditTreeTile.objects.exists()


def test_a_proof_is_refused_when_the_entry_no_longer_matches_its_published_hash() -> None:
    log(10)
    publish()
    row = AuditLogEntry.objects.get(pk=4)
    row.entry_bytes = bytes(row.entry_bytes).replace(b"staff-1", b"staff-9")
    row.leaf_hash = leaf_hash(bytes(row.entry_bytes))
    row.save()
    with pytest.raises(Exception, match="verify"):
        prove(4)


@pytest.mark.django_db(transaction=True)
def test_publishing_and_proving_while_others_append_and_publish() -> None:
    log(50)
    publish()

    def work(w: int) -> None:
        for round_ in range(6):
            with transaction.atomic():
                append(facts(round_, subject=f"W{w}"))
            if w % 2 == 0:
                published = publish().signed
                for index in (0, published.head.size - 1):
                    found = prove(index)
                    root = bytes.fromhex(found["signed_tree_head"]["tree_head"]["root_hash"])
                    assert InclusionProof.from_dict(found["proof"]).verify(root)

    at_once(4, work)
    final = publish().signed
    for index in range(final.head.size):
        assert_proves(index, final.head.size, final.head.root_hash)
    assert verify().ok


def test_publish_verify_and_prove() -> None:
    for i in range(10):
        append(facts(i))
    signed = publish()
    assert signed.head.size == 10
    for i in range(10, 13):
        append(facts(i))
    check = verify()
    assert check.ok and check.entries == 13 and check.tree_heads_checked == 1 and check.entries_after_last_head == 3
    found = prove(7)
    proof = InclusionProof.from_dict(found["proof"])
    assert proof.tree_size == 10
    assert verify_inclusion(proof.leaf_hash, 7, 10, proof.audit_path, signed.head.root_hash)
    assert public_tree_heads()[0]["tree_head"]["size"] == 10


def test_no_tree_head_means_no_proof() -> None:
    append(facts(0))
    with pytest.raises(NotFound):
        prove(0)
    assert PublishedTreeHead.objects.count() == 0
