"""Backups and restores: the database comes back as it was, the audit log is checked, bad files change nothing."""

from __future__ import annotations

import io
import socket
import sqlite3
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from famlink.adapters.storage import backup
from famlink.adapters.storage.backup import BackupFailed, Manifest, RestorePlan
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
)
from famlink.core.errors import InvalidInput
from famlink.services.backup import restore
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.audit.verification import verify
from tests.common import builders
from tests.common.backup import holdings, populated, read_records
from tests.common.concurrency import at_once
from tests.common.database import ON_POSTGRES, database_url

with_a_database = pytest.mark.django_db(transaction=True)  # a restore replaces the database outside any test transaction
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump, psql and the server are PostgreSQL's")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log's signing key lives in this test's own data folder."""
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path


def yes(plan: RestorePlan) -> bool:
    return True


def never_asked(plan: RestorePlan) -> bool:
    raise AssertionError("a file that is not a whole backup got as far as asking to restore it")


@with_a_database
def test_a_backup_brings_the_database_back_as_it_was_and_its_log_still_verifies(tmp_path: Path) -> None:
    fam = populated()
    before = holdings()
    out = tmp_path / "famlink.backup"
    manifest = backup.take_backup(out)
    assert out.stat().st_mode & 0o777 == 0o600  # it holds every family's records
    assert manifest.database == connection.vendor and manifest.audit_entries == len(before["audit log"]) == 2
    assert manifest.audit_root == verify().root_hash and manifest.signed_heads == 1
    assert "governance.0002_audit_log_pending" in manifest.migrations

    builders.family("after the backup")  # changes the restore takes away (none of them logged)
    Person.objects.filter(pk=fam.father.pk).update(display_name="Someone else")
    if connection.vendor == "postgresql":  # a table from a later famlink: the restore must not leave it behind
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE later_famlink_table (id integer)")
    asked: list[RestorePlan] = []
    done = restore(out, confirm=lambda plan: asked.append(plan) or True)

    assert done is not None and done.ok, done and done.as_dict()
    assert holdings() == before
    [plan] = asked
    assert plan.replaced == backup.LogHeld(2, 2, manifest.audit_root, plan.replaced.signed_at)  # type: ignore[union-attr]
    assert done.check.ok and done.check.entries == 2 and done.check.tree_heads_checked == 1
    assert done.check == verify()  # the restore reports the same check as famlink audit verify
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('later_famlink_table')")
            assert cursor.fetchone() == (None,)
    read_records(fam)  # the restored database is in use at once: a read is logged after the restored entries
    assert verify().ok and AuditLogEntry.objects.count() == 3


@with_a_database
def test_a_backup_taken_while_reads_are_being_logged_is_of_one_moment(tmp_path: Path) -> None:
    """The server keeps running during a backup: the copy and its manifest describe the same moment."""
    fam = populated()
    out = tmp_path / "famlink.backup"
    stop = threading.Event()

    def keep_reading(_: int) -> None:
        while not stop.is_set():
            read_records(fam)

    reader = threading.Thread(target=at_once, args=(1, keep_reading))
    reader.start()
    try:
        while AuditLogEntry.objects.count() < 5:  # reads are being logged
            time.sleep(0.01)
        manifest = backup.take_backup(out)
    finally:
        stop.set()
        reader.join()
    done = restore(out, confirm=yes)

    assert done is not None and done.check.ok
    assert done.check.entries == manifest.audit_entries + manifest.audit_pending  # pending ones placed on restore
    assert backup._root_at(manifest.audit_entries) == manifest.audit_root


@with_a_database
def test_restoring_a_backup_older_than_the_signed_log_says_which_entries_are_gone(tmp_path: Path) -> None:
    fam = populated()
    out = tmp_path / "famlink.backup"
    backup.take_backup(out)
    for _ in range(3):
        read_records(fam)
    publish()  # a head over 5 entries, signed after the backup was taken

    done = restore(out, confirm=yes)

    assert done is not None and not done.ok
    assert done.check.entries == 2  # the check of the restored log is reported with it
    [problem] = [p for p in done.problems if "tree head signed" in p]
    assert "holds 2 entries" in problem and "covered 5" in problem and "from index 2 on" in problem


@with_a_database
def test_a_restore_without_the_signing_key_says_which_file_to_put_back(tmp_path: Path, data_dir: Path) -> None:
    populated()
    out = tmp_path / "famlink.backup"
    backup.take_backup(out)
    (data_dir / "audit-signing-key.pem").rename(tmp_path / "kept-elsewhere.pem")  # a new machine's data folder
    asked: list[RestorePlan] = []

    done = restore(out, confirm=lambda plan: asked.append(plan) or True)

    [note] = asked[0].notes  # said before anything changed
    assert f"{data_dir / 'audit-signing-key.pem'} holds no signing key" in note and "copy audit-signing-key.pem" in note
    assert done is not None and not done.ok and note in done.problems
    assert not done.check.ok  # the signed heads cannot be checked with another key


@with_a_database
def test_declining_changes_nothing(tmp_path: Path) -> None:
    populated()
    out = tmp_path / "famlink.backup"
    backup.take_backup(out)
    builders.family("kept")
    before = holdings()
    assert restore(out, confirm=lambda plan: False) is None
    assert holdings() == before


@with_a_database
def test_a_backup_never_replaces_a_file(tmp_path: Path) -> None:
    populated()
    out = tmp_path / "famlink.backup"
    out.write_bytes(b"yesterday's backup")
    with pytest.raises(InvalidInput, match="never replaces a file") as refused:
        backup.take_backup(out)
    assert refused.value.where == str(out) and out.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".famlink")) == []  # nothing left behind


@with_a_database
def test_a_damaged_copy_with_a_matching_checksum_restores_nothing(tmp_path: Path) -> None:
    """Even a copy that passes every check of the file must not be half restored."""
    populated()
    whole = tmp_path / "whole.backup"
    backup.take_backup(whole)
    with tarfile.open(whole) as tar:
        manifest = Manifest.from_json(tar.extractfile(backup.MANIFEST).read(), "test")  # type: ignore[union-attr]
        data = tar.extractfile(backup.COPY_NAME[connection.vendor]).read()  # type: ignore[union-attr]
    copy = tmp_path / backup.COPY_NAME[connection.vendor]
    copy.write_bytes(data[: len(data) * 2 // 3])
    damaged = tmp_path / "damaged.backup"
    write_backup(damaged, copy, manifest)
    builders.family("kept")
    before = holdings()

    with pytest.raises(BackupFailed, match=r"nothing was changed|damaged"):
        restore(damaged, confirm=yes)

    assert holdings() == before and verify().ok


# --- PostgreSQL: the client programs and the server -----------------------------------------------------


@postgres_only
@with_a_database
def test_without_pg_dump_the_backup_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    with pytest.raises(BackupFailed, match=r"pg_dump was not found on PATH.*postgresql-client-15"):
        backup.take_backup(tmp_path / "famlink.backup")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@postgres_only
@with_a_database
def test_an_unreachable_database_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    populated()
    out = tmp_path / "famlink.backup"
    backup.take_backup(out)
    port = closed_port()
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", port)
    for attempt in (lambda: backup.take_backup(tmp_path / "again.backup"), lambda: restore(out, confirm=yes)):
        with pytest.raises(BackupFailed, match=f"cannot reach the PostgreSQL database .* on 127.0.0.1:{port}") as failed:
            attempt()
        assert failed.value.where == "DATABASE_URL"
    assert not (tmp_path / "again.backup").exists()


@postgres_only
@with_a_database
def test_a_restore_waits_for_everyone_else_to_disconnect(tmp_path: Path) -> None:
    populated()
    out = tmp_path / "famlink.backup"
    backup.take_backup(out)
    builders.family("kept")
    before = holdings()
    with (
        psycopg.connect(database_url(), application_name="famlink serve"),
        pytest.raises(BackupFailed, match=r"1 other connection\(s\) to it are open \(famlink serve"),
    ):
        restore(out, confirm=yes)
    assert holdings() == before


# --- files that are not whole backups -------------------------------------------------------------------


def write_backup(out: Path, copy: Path, manifest: Manifest) -> None:
    """A backup file around ``copy``, its manifest's size and checksum made to match."""
    manifest = Manifest(**{**manifest.as_dict(), "migrations": tuple(manifest.migrations),
                           "copy_bytes": copy.stat().st_size, "copy_sha256": backup._sha256(copy)})
    work = out.parent / f".work-{out.name}"
    work.mkdir()
    backup._write_archive(out, manifest, copy, work)
    for leftover in work.iterdir():
        leftover.unlink()
    work.rmdir()


def a_manifest(**changes: Any) -> Manifest:
    fields: dict[str, Any] = {
        "famlink_version": "0.1.0", "database": connection.vendor, "taken_at": "2026-01-05T09:00:00.000000Z",
        "migrations": ("governance.0001_initial",), "audit_entries": 0, "audit_root": "00" * 32,
        "audit_pending": 0, "signed_heads": 0, "signing_key_id": None, "copy_bytes": 0, "copy_sha256": "",
    }
    return Manifest(**{**fields, **changes})


@pytest.fixture(scope="module")
def good_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A well-formed backup file (its copy a small SQLite file), made without a database."""
    folder = tmp_path_factory.mktemp("good")
    copy = folder / backup.COPY_NAME[connection.vendor]
    with sqlite3.connect(copy) as made:
        made.execute("CREATE TABLE t (x)")
    made.close()
    write_backup(folder / "good.backup", copy, a_manifest())
    return folder / "good.backup"


def refused(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        restore(path, confirm=never_asked)
    assert caught.value.where == str(path)
    return caught.value


@given(st.binary(max_size=3000))
def test_any_bytes_that_are_not_a_backup_are_refused_naming_the_file(data: bytes) -> None:
    with backup._work_folder(Path("/tmp")) as folder:
        path = folder / "not-a-backup"
        path.write_bytes(data)
        assert "not a famlink backup" in refused(path).message


@given(cut=st.floats(0, 1, exclude_max=True))
def test_a_backup_cut_short_anywhere_is_refused(good_backup: Path, cut: float) -> None:
    with tarfile.open(good_backup) as tar:
        copy = tar.getmember(backup.COPY_NAME[connection.vendor])
    data = good_backup.read_bytes()[: int((copy.offset_data + copy.size) * cut)]
    with backup._work_folder(Path("/tmp")) as folder:
        path = folder / "cut.backup"
        path.write_bytes(data)
        message = refused(path).message
    assert "not a famlink backup" in message or "cut short" in message


def other_kind() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (lambda: a_manifest(database=other_kind()), "is a backup of a .* database, but famlink is configured for"),
        (lambda: a_manifest(migrations=("governance.9999_from_the_future",)), "made by a newer famlink .* governance.9999"),
        (lambda: a_manifest(audit_entries="many"), "manifest is damaged: audit_entries"),
    ],
    ids=["the other kind of database", "a newer famlink", "a damaged manifest"],
)
def test_a_backup_this_famlink_cannot_restore_is_refused_before_anything_changes(
    tmp_path: Path, manifest: Any, says: str
) -> None:
    copy = tmp_path / backup.COPY_NAME[connection.vendor]
    copy.write_bytes(b"a database")
    out = tmp_path / "x.backup"
    write_backup(out, copy, manifest())
    with pytest.raises(InvalidInput, match=says):
        restore(out, confirm=never_asked)


def test_a_newer_backup_format_is_refused_with_the_version_to_use(tmp_path: Path) -> None:
    out = tmp_path / "newer.backup"
    text = a_manifest(famlink_version="9.0.0").to_json().replace(b'"format_version": 1', b'"format_version": 2')
    with tarfile.open(out, "w") as tar:
        info = tarfile.TarInfo(backup.MANIFEST)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    assert "restore it with famlink 9.0.0 or later" in refused(out).message
