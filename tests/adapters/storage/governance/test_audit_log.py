"""The audit log in the database: one gap-free order, all-or-nothing, verifiable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection, transaction

from famlink.adapters.storage.governance import audit_log, audit_proofs
from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    AuditLogPending,
    PublishedTreeHead,
)
from famlink.core.audit import AuditEntry, InclusionProof, verify_inclusion
from famlink.core.consent import ConsentLevel
from famlink.core.errors import NotFound
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from tests.common import builders
from tests.common.builders import facts, give_consent
from tests.common.concurrency import at_once
from tests.common.database import database_url, postgres_only


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
    found = audit_proofs.prove(7)
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

    def write(w: int) -> None:
        for i in range(each):
            with transaction.atomic():
                audit_log.append(facts(i, subject=f"W{w}"))

    at_once(writers, write)
    assert AuditLogPending.objects.count() == 0  # every writer done: nothing left pending, before any reader
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(writers * each))
    for w in range(writers):
        assert AuditLogEntry.objects.filter(subject_id=f"W{w}").count() == each
    assert audit_log.verify().ok


@contextmanager
def sequencer_busy() -> Iterator[None]:
    """Another session holds the log's lock, as a sequencer elsewhere would."""
    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [audit_log.LOG_LOCK])
        try:
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", [audit_log.LOG_LOCK])


@pytest.mark.django_db(transaction=True)
def test_an_append_with_the_log_free_is_placed_in_its_own_transaction() -> None:
    with transaction.atomic():
        row = audit_log.append(facts(0))
        assert row.index == 0 and AuditLogEntry.objects.filter(pk=0).exists()  # before commit, same transaction
    assert AuditLogPending.objects.count() == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_append_while_the_log_is_busy_is_written_ahead_and_placed_by_the_next_one() -> None:
    with sequencer_busy():
        with transaction.atomic():
            row = audit_log.append(facts(0, subject="early"))
        assert row.index is None  # written ahead: committed, not yet placed
        assert AuditLogPending.objects.count() == 1 and AuditLogEntry.objects.count() == 0
    later = audit_log.append(facts(1, subject="later"))
    assert later.index == 1  # the pending entry went first
    assert AuditLogPending.objects.count() == 0
    assert list(AuditLogEntry.objects.values_list("subject_id", flat=True)) == ["early", "later"]
    assert audit_log.verify().ok


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_whose_appends_are_skipped_past_still_leave_nothing_pending() -> None:
    """Each transaction holds on after its append, so others find the log busy and write ahead."""
    writers, each = 8, 15
    written_ahead: list[int] = []

    def write(w: int) -> None:
        for i in range(each):
            with transaction.atomic():
                row = audit_log.append(facts(i, subject=f"W{w}"))
                time.sleep(0.002)  # the rest of the request, holding whatever it took
            if row.index is None:
                written_ahead.append(1)

    at_once(writers, write)
    assert written_ahead, "no append found the log busy: this test did not exercise the write-ahead path"
    assert AuditLogPending.objects.count() == 0  # placed after commit by the writers themselves, no reader yet
    assert list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True)) == list(range(writers * each))
    assert audit_log.verify().ok


CRASHING_WRITER = """
import os, signal, django
django.setup()
from django.db import transaction
from famlink.adapters.storage.governance import audit_log
from famlink.core.audit import AuditEvent, Verdict
from famlink.core.taxonomy import DataCategory, Purpose

def killed(**_):  # the process dies after its commit, before anything is placed
    os.kill(os.getpid(), signal.SIGKILL)

audit_log.sequence_pending = killed
with transaction.atomic():
    audit_log.append(audit_log.AuditFacts(
        actor_id="staff-9", actor_role="practitioner", organisation="Org", purpose=Purpose.DIRECT_SERVICE_DELIVERY,
        subject_id="CRASHED", data_categories=(DataCategory.HEALTH,), action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW, reasons=("consent_sufficient",)))
print("still alive")
"""


@postgres_only
@pytest.mark.xdist_group("subprocess")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("next_one", ["appender", "reader"])
def test_a_writer_killed_after_commit_leaves_its_entry_pending_and_the_next_one_places_it(next_one: str) -> None:
    audit_log.append(facts(0, subject="before"))
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "famlink.settings"}
    connection.close()
    with sequencer_busy():  # so the writer cannot place its entry inside its own transaction
        child = subprocess.run([sys.executable, "-c", CRASHING_WRITER], env=env, capture_output=True, text=True)
    assert child.returncode == -9 and "still alive" not in child.stdout, child.stderr
    assert list(AuditLogPending.objects.values_list("id", flat=True)), "the killed writer's entry was lost"
    assert AuditLogEntry.objects.count() == 1
    if next_one == "appender":
        audit_log.append(facts(2, subject="after"))
        assert AuditLogPending.objects.count() == 0
        assert list(AuditLogEntry.objects.values_list("subject_id", flat=True)) == ["before", "CRASHED", "after"]
        assert audit_log.verify().ok
    else:
        check = audit_log.verify()
        assert check.ok and check.entries == 2 and check.entries_pending == 0
        assert AuditLogEntry.objects.get(pk=1).subject_id == "CRASHED"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_publish_waits_for_and_covers_entries_written_ahead() -> None:
    with sequencer_busy():
        for i in range(3):
            audit_log.append(facts(i))
    assert AuditLogPending.objects.count() == 3
    assert audit_log.publish().head.size == 3
    assert AuditLogPending.objects.count() == 0


@pytest.mark.django_db
def test_a_pending_entry_edited_into_nonsense_is_caught_and_does_not_hold_up_the_log() -> None:
    audit_log.append(facts(0))
    forged = AuditLogPending.objects.create(facts=facts_bytes(1).replace(b'"record:viewed"', b'"record:erased"'))
    audit_log.append(facts(2))  # placed past it: one bad row must not stop every access being logged
    assert list(AuditLogEntry.objects.values_list("index", flat=True)) == [0, 1]
    check = audit_log.verify()
    assert not check.ok and check.entries == 2 and check.entries_pending == 1
    assert f"pending entry {forged.id}" in (check.problem or "")


@pytest.mark.django_db
def test_a_pending_entry_edited_before_it_was_placed_is_caught_by_its_readable_columns() -> None:
    """An edit that keeps it a valid entry is placed as edited; nothing can tell, as for any unsigned entry.

    But the readable columns are filled from the bytes, so they never disagree with them.
    """
    AuditLogPending.objects.create(facts=facts_bytes(0).replace(b'"P1"', b'"P7"'))
    audit_log.sequence_pending(wait=True)
    row = AuditLogEntry.objects.get(pk=0)
    assert row.subject_id == "P7" and AuditEntry.from_bytes(bytes(row.entry_bytes)).subject_id == "P7"
    assert audit_log.verify().ok


def facts_bytes(i: int) -> bytes:
    from dataclasses import asdict

    from django.utils import timezone

    from famlink.core.audit import utc_timestamp

    return AuditEntry(index=0, occurred_at=utc_timestamp(timezone.now()), **asdict(facts(i))).pending_bytes()


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
    with pytest.raises(NotFound):
        audit_proofs.prove(0)
    assert PublishedTreeHead.objects.count() == 0
