"""Verifying the audit log: an entry edited, removed, rehashed or cut away is caught and named by its index."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from famlink.adapters.storage.governance.audit.append import append, append_many
from famlink.adapters.storage.governance.audit.witness import witness_file
from famlink.adapters.storage.governance.models import (
    AuditLogCounter,
    AuditLogEntry,
    AuditLogPending,
    AuditTreeTile,
    PublishedTreeHead,
)
from famlink.core.audit import leaf_hash
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.audit.verification import verify
from tests.common.builders import facts, facts_bytes

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    append_many([facts(i) for i in range(n)])


@pytest.mark.parametrize("column", ["entry_bytes", "subject_id"])
def test_editing_one_row_is_caught_and_named(column: str) -> None:
    for i in range(20):
        append(facts(i))
    publish()
    row = AuditLogEntry.objects.get(pk=12)
    if column == "entry_bytes":
        row.entry_bytes = bytes(row.entry_bytes).replace(b'"P1"', b'"P2"')
    else:
        row.subject_id = "P9"
    row.save()
    check = verify()
    assert not check.ok and check.first_bad_index == 12
    assert "entry 12 was changed" in (check.problem or "")


def test_deleting_a_row_is_caught() -> None:
    for i in range(8):
        append(facts(i))
    publish()
    AuditLogEntry.objects.filter(pk=3).delete()
    check = verify()
    assert not check.ok and check.first_bad_index == 3 and "missing" in (check.problem or "")


def test_a_pending_entry_edited_into_nonsense_is_caught_and_does_not_hold_up_the_log() -> None:
    append(facts(0))
    forged = AuditLogPending.objects.create(facts=facts_bytes(1).replace(b'"record:viewed"', b'"record:erased"'))
    append(facts(2))  # placed past it: one bad row must not stop every access being logged
    assert list(AuditLogEntry.objects.values_list("index", flat=True)) == [0, 1]
    check = verify()
    assert not check.ok and check.entries == 2 and check.entries_pending == 1
    assert f"pending entry {forged.id}" in (check.problem or "")


def test_an_entry_edited_and_rehashed_is_named_by_its_own_index() -> None:
    log(80)
    publish()
    row = AuditLogEntry.objects.get(pk=74)
    row.entry_bytes = bytes(row.entry_bytes).replace(b"staff-2", b"staff-9")
    row.leaf_hash = leaf_hash(bytes(row.entry_bytes))
    row.actor_id = "staff-9"
    row.save()
    check = verify()
    assert not check.ok and check.first_bad_index == 74
    assert (check.problem or "").startswith("entry 74 was changed")


def test_invalid_json_in_an_entry_is_reported_as_changed_not_moved() -> None:
    log(10)
    publish()
    with connection.cursor() as cursor:
        data = b"{not an entry"
        cursor.execute(f'UPDATE {AuditLogEntry._meta.db_table} SET entry_bytes = %s, leaf_hash = %s WHERE "index" = 6',
                       [data, leaf_hash(data)])
    check = verify()
    assert not check.ok and check.first_bad_index == 6
    assert "entry 6 was changed" in (check.problem or "") and "moved" not in (check.problem or "")


@pytest.mark.parametrize("by", [+5, -3])
def test_a_hand_edited_counter_is_caught(by: int) -> None:
    log(10)
    publish()
    log(2)
    AuditLogCounter.objects.filter(pk=1).update(next_index=12 + by)
    check = verify()
    assert not check.ok and "counter" in (check.problem or "")
    assert check.first_bad_index == (12 if by > 0 else 9)


def test_verify_checks_the_log_against_every_witnessed_head() -> None:
    log(20)
    publish()
    log(5)
    publish()
    assert verify().ok and verify().witnessed_heads_checked == 2
    with connection.cursor() as cursor:  # cut the tail, its heads and the counter
        cursor.execute(f'DELETE FROM {AuditLogEntry._meta.db_table} WHERE "index" >= 22')
        cursor.execute(f"DELETE FROM {PublishedTreeHead._meta.db_table} WHERE size = 25")
        cursor.execute(f"UPDATE {AuditLogCounter._meta.db_table} SET next_index = 22")
    check = verify()
    assert not check.ok and check.first_bad_index == 22
    assert "witness file" in (check.problem or "") and "says it had 25" in (check.problem or "")


def test_a_log_rewritten_under_a_witnessed_head_is_caught() -> None:
    log(10)
    publish()
    PublishedTreeHead.objects.all().delete()
    AuditLogEntry.objects.all().delete()
    AuditLogCounter.objects.all().delete()
    AuditTreeTile.objects.all().delete()
    log(12)  # a different history, hashes, tree and all: only the witness file is left
    check = verify()
    assert not check.ok and "witness file" in (check.problem or "") and "do not match" in (check.problem or "")


def test_a_witnessed_head_deleted_from_the_database_is_caught_even_if_the_log_is_whole() -> None:
    log(6)
    publish()
    PublishedTreeHead.objects.all().delete()
    check = verify()
    assert not check.ok and "no longer in the database" in (check.problem or "")


@pytest.mark.parametrize("edit", ["garbage", "forged"])
def test_an_edited_witness_file_is_named(edit: str) -> None:
    log(6)
    publish()
    path = witness_file()
    line = json.loads(path.read_text())
    if edit == "garbage":
        path.write_text(path.read_text() + "{not json\n")
    else:
        line["tree_head"]["size"] = 5
        path.write_text(path.read_text() + json.dumps(line) + "\n")
    check = verify()
    assert not check.ok and "line 2" in (check.problem or "") and str(path) in (check.problem or "")
