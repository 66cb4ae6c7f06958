"""Appending to the audit log: one gap-free order, all-or-nothing, nothing left pending."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.db import connection, transaction

from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    AuditLogPending,
)
from famlink.core.audit import (
    AuditEntry,
)
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.audit.verification import verify
from tests.common import builders
from tests.common.builders import facts, facts_bytes, give_consent
from tests.common.concurrency import at_once
from tests.common.database import database_url, postgres_only, sequencer_busy


@pytest.mark.django_db
def test_appends_are_numbered_from_zero_and_readable_by_subject() -> None:
    for i in range(5):
        append(facts(i, subject=f"P{i % 2}"))
    assert list(AuditLogEntry.objects.values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert list(AuditLogEntry.objects.filter(subject_id="P1").values_list("index", flat=True)) == [1, 3]
    row = AuditLogEntry.objects.get(pk=3)
    assert AuditEntry.from_bytes(bytes(row.entry_bytes)).leaf_hash == bytes(row.leaf_hash)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_gap_free_order() -> None:
    writers, each = 8, 25

    def write(w: int) -> None:
        for i in range(each):
            with transaction.atomic():
                append(facts(i, subject=f"W{w}"))

    at_once(writers, write)
    assert AuditLogPending.objects.count() == 0  # every writer done: nothing left pending, before any reader
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(writers * each))
    for w in range(writers):
        assert AuditLogEntry.objects.filter(subject_id=f"W{w}").count() == each
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_with_the_log_free_is_placed_in_its_own_transaction() -> None:
    with transaction.atomic():
        row = append(facts(0))
        assert row.index == 0 and AuditLogEntry.objects.filter(pk=0).exists()  # before commit, same transaction
    assert AuditLogPending.objects.count() == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_append_while_the_log_is_busy_is_written_ahead_and_placed_by_the_next_one() -> None:
    with sequencer_busy():
        with transaction.atomic():
            row = append(facts(0, subject="early"))
        assert row.index is None  # written ahead: committed, not yet placed
        assert AuditLogPending.objects.count() == 1 and AuditLogEntry.objects.count() == 0
    later = append(facts(1, subject="later"))
    assert later.index == 1  # the pending entry went first
    assert AuditLogPending.objects.count() == 0
    assert list(AuditLogEntry.objects.values_list("subject_id", flat=True)) == ["early", "later"]
    assert verify().ok


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_whose_appends_are_skipped_past_still_leave_nothing_pending() -> None:
    """Each transaction holds on after its append, so others find the log busy and write ahead."""
    writers, each = 8, 15
    written_ahead: list[int] = []

    def write(w: int) -> None:
        for i in range(each):
            with transaction.atomic():
                row = append(facts(i, subject=f"W{w}"))
                time.sleep(0.002)  # the rest of the request, holding whatever it took
            if row.index is None:
                written_ahead.append(1)

    at_once(writers, write)
    assert written_ahead, "no append found the log busy: this test did not exercise the write-ahead path"
    assert AuditLogPending.objects.count() == 0  # placed after commit by the writers themselves, no reader yet
    assert list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True)) == list(range(writers * each))
    assert verify().ok


CRASHING_WRITER = """
import os, signal, django
django.setup()
from django.db import transaction
from famlink.adapters.storage.governance.audit import append as appending
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.taxonomy import DataCategory, Purpose

def killed(**_):  # the process dies after its commit, before anything is placed
    os.kill(os.getpid(), signal.SIGKILL)

appending.sequence_pending = killed
with transaction.atomic():
    appending.append(AuditFacts(
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
    append(facts(0, subject="before"))
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "famlink.settings"}
    connection.close()
    with sequencer_busy():  # so the writer cannot place its entry inside its own transaction
        child = subprocess.run([sys.executable, "-c", CRASHING_WRITER], env=env, capture_output=True, text=True)
    assert child.returncode == -9 and "still alive" not in child.stdout, child.stderr
    assert list(AuditLogPending.objects.values_list("id", flat=True)), "the killed writer's entry was lost"
    assert AuditLogEntry.objects.count() == 1
    if next_one == "appender":
        append(facts(2, subject="after"))
        assert AuditLogPending.objects.count() == 0
        assert list(AuditLogEntry.objects.values_list("subject_id", flat=True)) == ["before", "CRASHED", "after"]
        assert verify().ok
    else:
        check = verify()
        assert check.ok and check.entries == 2 and check.entries_pending == 0
        assert AuditLogEntry.objects.get(pk=1).subject_id == "CRASHED"


@pytest.mark.django_db
def test_a_pending_entry_edited_before_it_was_placed_is_caught_by_its_readable_columns() -> None:
    """An edit that keeps it a valid entry is placed as edited; nothing can tell, as for any unsigned entry.

    But the readable columns are filled from the bytes, so they never disagree with them.
    """
    AuditLogPending.objects.create(facts=facts_bytes(0).replace(b'"P1"', b'"P7"'))
    sequence_pending(wait=True)
    row = AuditLogEntry.objects.get(pk=0)
    assert row.subject_id == "P7" and AuditEntry.from_bytes(bytes(row.entry_bytes)).subject_id == "P7"
    assert verify().ok


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
    assert verify().ok

