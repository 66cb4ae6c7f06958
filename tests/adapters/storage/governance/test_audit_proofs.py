"""Inclusion proofs from the stored tree: a few rows read, whatever the log's size; right across publishes."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from famlink.adapters.storage.governance import audit_log, audit_proofs
from famlink.adapters.storage.governance.models import AuditLogCounter, AuditLogEntry, AuditTreeTile
from famlink.core.audit import InclusionProof, leaf_hash, verify_consistency
from tests.common.builders import facts
from tests.common.concurrency import at_once

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    audit_log.append_many([facts(i) for i in range(n)])


def assert_proves(index: int, size: int, root: bytes) -> None:
    found = audit_proofs.prove(index)
    proof = InclusionProof.from_dict(found["proof"])
    assert proof.index == index and proof.tree_size == size
    assert proof.leaf_hash == leaf_hash(found["entry"].encode())  # the entry shown is the entry proved
    assert proof.verify(root)


def test_a_proof_reads_a_few_rows_not_the_whole_log() -> None:
    log(700)
    signed = audit_log.publish().signed
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
    newer = audit_log.publish().signed
    assert_proves(702, 705, newer.head.root_hash)  # a head published since is noticed
    assert_proves(3, 705, newer.head.root_hash)


@pytest.mark.parametrize("sizes", [[1, 2, 3], [15, 16, 17], [255, 256, 257, 300], [1, 300], [16, 4096 + 17]])
def test_proofs_and_consistency_hold_as_the_stored_tree_grows_in_pieces(sizes: list[int]) -> None:
    previous = None
    for size in sizes:
        log(size - (previous.head.size if previous else 0))
        published = audit_log.publish()
        head = published.signed.head
        for index in {0, size // 2, size - 1, max(0, size - 17)}:
            assert_proves(index, size, head.root_hash)
        if previous is not None:
            proof = audit_proofs.consistency(previous.head.size, size)
            assert verify_consistency(previous.head.size, size, previous.head.root_hash, head.root_hash, proof)
            shown = audit_log.public_tree_heads()[-1]["consistency_with_previous"]
            assert shown["old_size"] == previous.head.size and shown["path"] == [h.hex() for h in proof]
        previous = published.signed


def test_heads_published_before_the_stored_tree_still_get_proofs() -> None:
    log(40)
    signed = audit_log.publish().signed
    AuditTreeTile.objects.all().delete()  # as on a database upgraded from before the stored tree
    assert_proves(33, 40, signed.head.root_hash)
    assert AuditTreeTile.objects.exists()


def test_a_proof_is_refused_when_the_entry_no_longer_matches_its_published_hash() -> None:
    log(10)
    audit_log.publish()
    row = AuditLogEntry.objects.get(pk=4)
    row.entry_bytes = bytes(row.entry_bytes).replace(b"staff-1", b"staff-9")
    row.leaf_hash = leaf_hash(bytes(row.entry_bytes))
    row.save()
    with pytest.raises(Exception, match="verify"):
        audit_proofs.prove(4)


def test_an_entry_edited_and_rehashed_is_named_by_its_own_index() -> None:
    log(80)
    audit_log.publish()
    row = AuditLogEntry.objects.get(pk=74)
    row.entry_bytes = bytes(row.entry_bytes).replace(b"staff-2", b"staff-9")
    row.leaf_hash = leaf_hash(bytes(row.entry_bytes))
    row.actor_id = "staff-9"
    row.save()
    check = audit_log.verify()
    assert not check.ok and check.first_bad_index == 74
    assert (check.problem or "").startswith("entry 74 was changed")


def test_invalid_json_in_an_entry_is_reported_as_changed_not_moved() -> None:
    log(10)
    audit_log.publish()
    with connection.cursor() as cursor:
        data = b"{not an entry"
        cursor.execute(f'UPDATE {AuditLogEntry._meta.db_table} SET entry_bytes = %s, leaf_hash = %s WHERE "index" = 6',
                       [data, leaf_hash(data)])
    check = audit_log.verify()
    assert not check.ok and check.first_bad_index == 6
    assert "entry 6 was changed" in (check.problem or "") and "moved" not in (check.problem or "")


@pytest.mark.parametrize("by", [+5, -3])
def test_a_hand_edited_counter_is_caught(by: int) -> None:
    log(10)
    audit_log.publish()
    log(2)
    AuditLogCounter.objects.filter(pk=1).update(next_index=12 + by)
    check = audit_log.verify()
    assert not check.ok and "counter" in (check.problem or "")
    assert check.first_bad_index == (12 if by > 0 else 9)


@pytest.mark.django_db(transaction=True)
def test_publishing_and_proving_while_others_append_and_publish() -> None:
    log(50)
    audit_log.publish()

    def work(w: int) -> None:
        for round_ in range(6):
            with transaction.atomic():
                audit_log.append(facts(round_, subject=f"W{w}"))
            if w % 2 == 0:
                published = audit_log.publish().signed
                for index in (0, published.head.size - 1):
                    found = audit_proofs.prove(index)
                    root = bytes.fromhex(found["signed_tree_head"]["tree_head"]["root_hash"])
                    assert InclusionProof.from_dict(found["proof"]).verify(root)

    at_once(4, work)
    final = audit_log.publish().signed
    for index in range(final.head.size):
        assert_proves(index, final.head.size, final.head.root_hash)
    assert audit_log.verify().ok
