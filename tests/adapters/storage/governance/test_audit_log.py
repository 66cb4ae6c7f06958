"""The audit log in the database: one gap-free order, all-or-nothing, verifiable."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from famlink.adapters.storage.governance import audit_log, door
from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.models import AuditLogEntry, PublishedTreeHead
from famlink.core.audit import AuditEntry, AuditEvent, InclusionProof, Verdict, verify_inclusion
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import DataCategory, Purpose
from tests.adapters.storage.governance import builders
from tests.adapters.storage.governance.test_door import give_consent


def facts(i: int, subject: str = "P1") -> audit_log.AuditFacts:
    return audit_log.AuditFacts(
        actor_id=f"staff-{i % 3}", actor_role="practitioner", organisation="Org", purpose=Purpose.DIRECT_SERVICE_DELIVERY,
        subject_id=subject, data_categories=(DataCategory.HEALTH,), action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW, reasons=("consent_sufficient",),
    )


@pytest.mark.django_db
def test_appends_are_numbered_from_zero_and_readable_by_subject() -> None:
    for i in range(5):
        audit_log.append(facts(i, subject=f"P{i % 2}"))
    assert list(AuditLogEntry.objects.values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert list(AuditLogEntry.objects.filter(subject_id="P1").values_list("index", flat=True)) == [1, 3]
    row = AuditLogEntry.objects.get(pk=3)
    assert AuditEntry.from_bytes(bytes(row.entry_bytes)).leaf_hash == bytes(row.leaf_hash)


@pytest.mark.django_db
def test_publish_verify_and_prove() -> None:
    for i in range(10):
        audit_log.append(facts(i))
    signed = audit_log.publish()
    assert signed.head.size == 10
    for i in range(10, 13):
        audit_log.append(facts(i))
    check = audit_log.verify()
    assert check.ok and check.entries == 13 and check.tree_heads_checked == 1 and check.entries_after_last_head == 3
    found = audit_log.AuditTree().prove(7)
    proof = InclusionProof.from_dict(found["proof"])
    assert proof.tree_size == 10
    assert verify_inclusion(proof.leaf_hash, 7, 10, proof.audit_path, signed.head.root_hash)
    assert audit_log.public_tree_heads()[0]["tree_head"]["size"] == 10


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["entry_bytes", "subject_id"])
def test_editing_one_row_is_caught_and_named(column: str) -> None:
    for i in range(20):
        audit_log.append(facts(i))
    audit_log.publish()
    row = AuditLogEntry.objects.get(pk=12)
    if column == "entry_bytes":
        row.entry_bytes = bytes(row.entry_bytes).replace(b'"P1"', b'"P2"')
    else:
        row.subject_id = "P9"
    row.save()
    check = audit_log.verify()
    assert not check.ok and check.first_bad_index == 12
    assert "entry 12 was changed" in (check.problem or "")


@pytest.mark.django_db
def test_deleting_a_row_is_caught() -> None:
    for i in range(8):
        audit_log.append(facts(i))
    audit_log.publish()
    AuditLogEntry.objects.filter(pk=3).delete()
    check = audit_log.verify()
    assert not check.ok and check.first_bad_index == 3 and "missing" in (check.problem or "")


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_gap_free_order() -> None:
    writers, each = 8, 25
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                with transaction.atomic():
                    audit_log.append(facts(i, subject=f"W{w}"))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(writers * each))
    for w in range(writers):
        assert AuditLogEntry.objects.filter(subject_id=f"W{w}").count() == each
    assert audit_log.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_the_read_leaves_neither_access_nor_entry() -> None:
    fam = builders.family("crash")
    practitioner = builders.staff()
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    before = AuditLogEntry.objects.count()
    with pytest.raises(RuntimeError), door.open(
        staff_actor(practitioner), Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
        sources=builders.Source.objects.all(),
    ) as grant:
        assert grant.decision.allow
        list(fam.child.assignments.all())  # the read
        raise RuntimeError("the worker died before answering")
    assert AuditLogEntry.objects.count() == before
    assert not connection.in_atomic_block
    # and the next access is logged at the next index: no gap was left behind
    with door.open(staff_actor(practitioner), Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
                   sources=builders.Source.objects.all()):
        pass
    assert list(AuditLogEntry.objects.values_list("index", flat=True)) == list(range(before + 1))
    assert audit_log.verify().ok


@pytest.mark.django_db
def test_no_tree_head_means_no_proof() -> None:
    audit_log.append(facts(0))
    with pytest.raises(audit_log.NotFound):
        audit_log.AuditTree().prove(0)
    assert PublishedTreeHead.objects.count() == 0
