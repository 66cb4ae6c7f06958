"""Backing up the famlink database and restoring it: ``famlink backup`` and ``famlink restore``.

A backup is one tar file of two members. ``manifest.json`` comes first and
says what the file is: famlink's version, the kind of database, the
migrations applied, and the audit log's size and root when the copy was
taken, with the size and SHA-256 of the second member, the database copy:

- SQLite: a copy made through SQLite's online backup API, consistent even
  while the server is writing (``famlink.sqlite3``);
- PostgreSQL: ``pg_dump --format=custom`` of the configured database
  (``famlink.pgdump``), taken in a snapshot that the manifest's figures were
  read in too, so the two describe the same moment.

A restore refuses a file that is not a famlink backup, is cut short or
damaged, is of the other kind of database, or was made by a newer famlink,
before it changes anything. It then replaces the whole database in one
transaction, so it happens completely or not at all, and brings the schema
up to date (``replace_database``). The restore then checks the audit log
(``famlink.services.backup.restore``: the same check as ``famlink audit
verify``), and what ``lost`` finds is reported, never passed over: a log
shorter than the one it replaced, or than a tree head signed before the
restore, means the accesses logged after the backup was taken are no longer
in the database. See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from psycopg.conninfo import make_conninfo

from famlink import config
from famlink.adapters.storage.governance.audit.rows import committed_size
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    AuditLogPending,
    PublishedTreeHead,
)
from famlink.core.audit import RootAccumulator, SignedTreeHead, load_private_key, utc_timestamp
from famlink.core.audit.signing import SIGNING_KEY_FILENAME, key_id
from famlink.core.errors import FamlinkError, InvalidInput

FORMAT = "famlink backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: The database copy's name inside the backup, by kind of database.
COPY_NAME = {"sqlite": "famlink.sqlite3", "postgresql": "famlink.pgdump"}
KIND_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: A manifest is a few kilobytes; anything much larger is not one.
MANIFEST_LARGEST = 1 << 20
CHUNK = 1 << 20
#: How long a restore waits for a table lock before giving up (PostgreSQL): a session that
#: connected after the check for other sessions would otherwise hold it up indefinitely.
LOCK_WAIT = "10s"


class BackupFailed(FamlinkError):
    """A backup or restore could not be done (a tool missing, the database unreachable); nothing was changed."""

    status = 503


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds, as its ``manifest.json`` says."""

    famlink_version: str
    database: str  # "sqlite" or "postgresql"
    taken_at: str
    migrations: tuple[str, ...]  # "app.migration", every one applied when the copy was taken
    audit_entries: int  # placed entries in the copy
    audit_root: str  # their Merkle root (hex)
    audit_pending: int  # entries written but not yet placed: a restore places them
    signed_heads: int
    signing_key_id: str | None  # the key that signed the latest head, if any
    copy_bytes: int
    copy_sha256: str

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **self.as_dict()}, indent=1).encode()

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["migrations"] = list(self.migrations)
        return found

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        """Read a manifest; ``InvalidInput`` naming the file if it is not one this famlink can restore."""
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raw = None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise InvalidInput("this is not a famlink backup: its manifest is not famlink's", where=where)
        made_by = raw.get("famlink_version")
        if not isinstance(raw.get("format_version"), int) or raw["format_version"] > FORMAT_VERSION:
            raise InvalidInput(
                f"this backup was made by a newer famlink ({made_by}) in a format this famlink "
                f"({version('famlink')}) cannot read; restore it with famlink {made_by} or later", where=where)
        kinds: dict[str, type | tuple[type, ...]] = {
            "famlink_version": str, "database": str, "taken_at": str, "migrations": list, "audit_entries": int,
            "audit_root": str, "audit_pending": int, "signed_heads": int, "signing_key_id": (str, type(None)),
            "copy_bytes": int, "copy_sha256": str,
        }
        wrong = [name for name, kind in kinds.items() if not isinstance(raw.get(name), kind)]
        if wrong or raw["database"] not in COPY_NAME or not all(isinstance(m, str) for m in raw["migrations"]):
            raise InvalidInput(
                f"this famlink backup's manifest is damaged: {(wrong or ['database'])[0]} is missing or wrong",
                where=where)
        return cls(**{**{name: raw[name] for name in kinds}, "migrations": tuple(raw["migrations"])})


# --- the database as famlink is configured to use it -----------------------------------------------


def _kind() -> str:
    if connection.vendor not in COPY_NAME:
        raise BackupFailed(f"famlink cannot back up a {connection.vendor} database", where="DATABASE_URL")
    return str(connection.vendor)


def _sqlite_path() -> Path:
    return Path(connection.settings_dict["NAME"])


def database_name() -> str:
    """The configured database in words: "the SQLite database at PATH", "the PostgreSQL database N on H:P"."""
    if _kind() == "sqlite":
        return f"the SQLite database at {_sqlite_path()}"
    settings = connection.settings_dict
    return f"the PostgreSQL database {settings['NAME']} on {settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"


def _connection_params() -> dict[str, Any]:
    """libpq's connection parameters for Django's database (the test database in tests)."""
    params = connection.get_connection_params()
    return {name: value for name, value in params.items() if isinstance(value, str | int) and value != ""}


def _connect_postgresql(**options: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(**_connection_params(), **options)
    except psycopg.OperationalError as error:
        raise BackupFailed(f"cannot reach {database_name()}: {_first_line(str(error))}", where="DATABASE_URL") from None


def _tool_environment() -> tuple[str, dict[str, str]]:
    """``--dbname`` for pg_dump or psql, and their environment: the password goes there, not on a command line."""
    params = _connection_params()
    password = str(params.pop("password", ""))
    env = {**os.environ, "PGAPPNAME": "famlink backup"}
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _tool(name: str, server: int) -> str:
    """The path of a PostgreSQL client program for a server of major version ``server``.

    ``BackupFailed`` saying what to install if it is missing, or older than
    the server (pg_dump refuses a newer server).
    """
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} was not found on PATH ({os.environ.get('PATH', '')}); install the PostgreSQL {server} client "
            f"programs (Debian and Ubuntu: postgresql-client-{server})", where=name)
    mine = _tool_major(found)
    if mine is not None and mine < server:
        raise BackupFailed(
            f"{name} is version {mine} but the server runs PostgreSQL {server}; it must be at least the server's "
            f"version: install postgresql-client-{server}", where=found)
    return found


def _tool_major(tool: str) -> int | None:
    """The major version of a PostgreSQL client program (``pg_dump (PostgreSQL) 15.20`` says 15)."""
    try:
        said = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    found = re.search(r"\)\s+(\d+)", said)
    return int(found.group(1)) if found else None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no reason given"


def _dump(pg_dump: str, arguments: list[str], env: dict[str, str]) -> None:
    """Run pg_dump; ``BackupFailed`` with the first error it gave if it fails."""
    done = subprocess.run([pg_dump, *arguments], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace")
        reason = _first_line("\n".join(line for line in said.splitlines() if "error" in line.lower()) or said)
        raise BackupFailed(f"pg_dump failed, so no backup was written: {reason}", where=database_name())


# --- what a copy holds ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    """What a database copy holds, read in the same snapshot as the copy."""

    migrations: tuple[str, ...]
    audit_entries: int
    audit_root: str
    audit_pending: int
    signed_heads: int
    signing_key_id: str | None


def _holding(cursor: Any) -> Holding:
    """Read a copy's migrations and audit log through a DB-API cursor (sqlite3, or psycopg in the snapshot)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = tuple(f"{app}.{name}" for app, name in cursor.fetchall())
    cursor.execute(f"SELECT count(*) FROM {AuditLogPending._meta.db_table}")
    pending = int(cursor.fetchone()[0])
    cursor.execute(f"SELECT signed_json FROM {PublishedTreeHead._meta.db_table} ORDER BY size, id")
    heads = [SignedTreeHead.from_json(text) for (text,) in cursor.fetchall()]
    cursor.execute(f'SELECT leaf_hash FROM {AuditLogEntry._meta.db_table} ORDER BY "index"')
    log = RootAccumulator()
    while batch := cursor.fetchmany(20_000):
        for (digest,) in batch:
            log.append(bytes(digest))
    return Holding(migrations, log.size, log.root().hex(), pending, len(heads), heads[-1].key_id if heads else None)


def _copy_sqlite(copy: Path) -> Holding:
    """Copy the configured SQLite database through the online backup API: consistent while others write."""
    path = _sqlite_path()
    if not path.is_file():
        raise BackupFailed("there is no database file here to back up", where=str(path))
    source = sqlite3.connect(path, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # in one step: a consistent copy of one moment
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _holding(target.cursor())
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"cannot copy it: {error}", where=str(path)) from None
    finally:
        target.close()
        source.close()


def _dump_postgresql(copy: Path) -> Holding:
    """``pg_dump --format=custom`` in a snapshot exported by a transaction that reads the manifest's figures."""
    with _connect_postgresql() as own:
        pg_dump = _tool("pg_dump", own.info.server_version // 10_000)
        own.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        own.read_only = True
        with own.transaction():
            (snapshot,) = own.execute("SELECT pg_export_snapshot()").fetchone() or ("",)
            try:
                holding = _holding(own.cursor(name="famlink_backup"))
            except psycopg.errors.UndefinedTable:
                raise BackupFailed("this database holds no famlink tables: nothing to back up",
                                   where=database_name()) from None
            dbname, env = _tool_environment()
            _dump(pg_dump, [f"--dbname={dbname}", "--format=custom", f"--snapshot={snapshot}", f"--file={copy}",
                            "--no-password"], env)
    return holding


# --- writing and reading the file -------------------------------------------------------------------


@contextlib.contextmanager
def _work_folder(near: Path) -> Iterator[Path]:
    """A private folder (0700) beside ``near`` for the copy in progress, removed afterwards whatever happens."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=".famlink-backup-", dir=near))
    except OSError as error:
        raise BackupFailed(f"cannot write here: {error.strerror or error}", where=str(near)) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _already_there(out: Path) -> InvalidInput:
    return InvalidInput("a file is already here; a backup never replaces a file: give a new name", where=str(out))


def _write_archive(out: Path, manifest: Manifest, copy: Path, work: Path) -> None:
    """Write the backup beside ``out`` (0600), flush it to disk, then put it in place; never over a file."""
    partial = work / "backup.tar"
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            text = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(text), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(text))
            info = tar.gettarinfo(copy, arcname=copy.name)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with copy.open("rb") as handle:
                tar.addfile(info, handle)
        raw.flush()
        os.fsync(raw.fileno())
    try:
        os.link(partial, out)  # fails if something is already there: a backup never replaces a file
    except FileExistsError:
        raise _already_there(out) from None
    except OSError:  # a file system without hard links (some network shares)
        if out.exists():
            raise _already_there(out) from None
        os.replace(partial, out)
    folder = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def take_backup(out: Path) -> Manifest:
    """Write a backup of the configured database to ``out`` (a new file, 0600); the server may keep running."""
    kind = _kind()
    out = out.expanduser().absolute()
    if out.exists():
        raise _already_there(out)
    if not out.parent.is_dir():
        raise InvalidInput("this folder does not exist", where=str(out.parent))
    with _work_folder(out.parent) as work:
        copy = work / COPY_NAME[kind]
        taken_at = utc_timestamp(timezone.now())
        holding = _copy_sqlite(copy) if kind == "sqlite" else _dump_postgresql(copy)
        manifest = Manifest(
            famlink_version=version("famlink"), database=kind, taken_at=taken_at, migrations=holding.migrations,
            audit_entries=holding.audit_entries, audit_root=holding.audit_root, audit_pending=holding.audit_pending,
            signed_heads=holding.signed_heads, signing_key_id=holding.signing_key_id,
            copy_bytes=copy.stat().st_size, copy_sha256=_sha256(copy),
        )
        try:
            _write_archive(out, manifest, copy, work)
        except OSError as error:
            raise BackupFailed(f"cannot write the backup: {error.strerror or error}", where=str(out)) from None
    return manifest


def _cut_short(where: str, what: str) -> InvalidInput:
    return InvalidInput(f"this famlink backup is cut short or damaged ({what}); use another copy", where=where)


def _read_archive(path: Path, kind: str, work: Path) -> tuple[Manifest, Path]:
    """Check a backup file and unpack its database copy into ``work``; ``InvalidInput`` naming the file if it is not
    a whole famlink backup of this kind of database."""
    where = str(path)
    if not path.is_file():
        raise InvalidInput("no such file", where=where)
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115  (closed by the with below: opening is what may fail)
    except (tarfile.TarError, EOFError):
        raise InvalidInput("this is not a famlink backup", where=where) from None
    except OSError as error:
        raise InvalidInput(f"cannot read it: {error.strerror or error}", where=where) from None
    with tar:
        first, text = None, None
        with contextlib.suppress(tarfile.TarError, EOFError):
            first = tar.next()
            reader = tar.extractfile(first) if first is not None else None  # None unless a regular file
            text = reader.read(MANIFEST_LARGEST + 1) if reader is not None else None
        if first is None or first.name != MANIFEST or text is None or len(text) > MANIFEST_LARGEST:
            raise InvalidInput("this is not a famlink backup: it does not start with famlink's manifest", where=where)
        if len(text) != first.size:
            raise _cut_short(where, "its manifest ends early")
        manifest = Manifest.from_json(text, where)
        if manifest.database != kind:
            raise InvalidInput(
                f"this is a backup of a {KIND_NAME[manifest.database]} database, but famlink is configured for "
                f"{KIND_NAME[kind]} (DATABASE_URL): restore it where famlink uses {KIND_NAME[manifest.database]}",
                where=where)
        copy = work / COPY_NAME[kind]
        digest, size = hashlib.sha256(), 0
        try:
            second = tar.next()
            source = tar.extractfile(second) if second is not None and second.name == copy.name else None
            if source is None:
                raise _cut_short(where, "its database copy is missing")
            with source, copy.open("wb") as target:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
        except (tarfile.TarError, EOFError):
            raise _cut_short(where, "it ends inside the database copy") from None
        except OSError as error:
            raise BackupFailed(f"cannot unpack the backup: {error.strerror or error}", where=str(work)) from None
    if size != manifest.copy_bytes:
        raise _cut_short(where, f"its database copy is {size:,} bytes, not the {manifest.copy_bytes:,} its manifest says")
    if digest.hexdigest() != manifest.copy_sha256:
        raise _cut_short(where, "its database copy's SHA-256 is not the one its manifest says")
    return manifest, copy


def _unknown_migrations(manifest: Manifest, where: str) -> None:
    """Refuse a backup whose database has migrations this famlink does not have (it was made by a newer one)."""
    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    unknown = sorted(set(manifest.migrations) - known)
    if unknown:
        raise InvalidInput(
            f"this backup was made by a newer famlink ({manifest.famlink_version}): its database has migration "
            f"{unknown[0]}, which this famlink ({version('famlink')}) does not have; restore it with famlink "
            f"{manifest.famlink_version} or later", where=where)


# --- restoring --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogHeld:
    """The audit log in the database a restore replaces: its size and its latest signed tree head."""

    entries: int
    signed_size: int | None = None
    signed_root: str | None = None
    signed_at: str | None = None


@dataclass(frozen=True, slots=True)
class RestorePlan:
    """What a restore is about to do, for the person to confirm."""

    backup: Path
    manifest: Manifest
    database: str
    replaced: LogHeld | None  # None: the database holds no audit log (new, empty, or unreadable)
    notes: tuple[str, ...]  # problems to expect, found before anything is changed


def _log_held() -> LogHeld | None:
    """The audit log in the configured database now, or None if it has none (tables missing)."""
    try:
        entries = committed_size()
        latest = PublishedTreeHead.objects.order_by("-size", "-id").first()
    except DatabaseError:
        connection.close()  # a failed statement may have left the connection unusable
        return None
    if latest is None:
        return LogHeld(entries)
    return LogHeld(entries, latest.size, latest.root_hash, latest.timestamp)


def _key_notes(manifest: Manifest) -> tuple[str, ...]:
    """The backup's tree heads were signed with a key this data folder does not hold: say which file to put back."""
    if manifest.signing_key_id is None:
        return ()
    path = config.data_dir() / SIGNING_KEY_FILENAME
    here = key_id(load_private_key(path).public_key()) if path.is_file() else None
    if here == manifest.signing_key_id:
        return ()
    has = f"holds another key ({here[:16]})" if here else "holds no signing key"
    return (
        f"the backup's tree heads were signed with key {manifest.signing_key_id[:16]}, but {path} {has}: "
        f"copy {SIGNING_KEY_FILENAME} from the data folder of the famlink that made the backup, or the signed "
        "heads cannot be checked",
    )


def lost(plan: RestorePlan) -> tuple[str, ...]:
    """What the restore took out of the audit log: entries the replaced database held, or had signed, beyond it."""
    replaced, held = plan.replaced, _log_held()
    if replaced is None or held is None:
        return ()
    if replaced.signed_size is not None and replaced.signed_root is not None:
        if held.entries < replaced.signed_size:
            return (
                f"the restored audit log holds {held.entries:,} entries, but a tree head signed at "
                f"{replaced.signed_at} before the restore covered {replaced.signed_size:,}: the entries from index "
                f"{held.entries:,} on, logged after this backup was taken, are no longer in the database",
            )
        if _root_at(replaced.signed_size) != replaced.signed_root:
            return (
                f"the restored audit log does not contain the log signed at {replaced.signed_at} "
                f"({replaced.signed_size:,} entries) before the restore: this backup is not of that log",
            )
    if held.entries < replaced.entries:
        return (
            f"the restored audit log holds {held.entries:,} entries, but the database it replaced held "
            f"{replaced.entries:,}: the entries from index {held.entries:,} on are no longer in the database",
        )
    return ()


def _root_at(size: int) -> str:
    log = RootAccumulator()
    rows = AuditLogEntry.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)
    for digest in rows.iterator(chunk_size=20_000):
        log.append(bytes(digest))
    return log.root().hex()


def _restore_sqlite(copy: Path) -> None:
    """Replace the configured SQLite database with ``copy`` through the backup API: one write transaction."""
    path = _sqlite_path()
    connection.close()
    source = sqlite3.connect(copy)
    try:
        if source.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupFailed("the database copy in this backup is damaged; use another copy", where=str(copy))
        target = sqlite3.connect(path, timeout=30)
        try:
            source.backup(target)  # one step: the whole file is replaced, or nothing is
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"cannot restore into it, so nothing was changed: {error}", where=str(path)) from None
    finally:
        source.close()


#: Empty the schema: every table (and what hangs on them) famlink's database holds, dropped in the restore's
#: transaction, so tables from a later migration do not outlive it.
_EMPTY_SCHEMA = """
DO $$
DECLARE found record;
BEGIN
    FOR found IN SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d  -- a table's own sequences go with it
                                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
                 ORDER BY c.relkind = 'S' LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                       CASE found.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                          WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, found.name);
    END LOOP;
END $$;
"""


def _others_connected(own: psycopg.Connection[Any]) -> list[str]:
    """Sessions of other clients connected to the database (a running famlink serve, the audit writer, psql)."""
    rows = own.execute(
        "SELECT coalesce(nullif(application_name, ''), 'unnamed') || ' from ' || coalesce(host(client_addr), 'local') "
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' ORDER BY backend_start"
    ).fetchall()
    return [row[0] for row in rows]


def _restore_postgresql(copy: Path) -> None:
    """Replace the configured PostgreSQL database with ``copy`` in one transaction.

    ``pg_restore`` turns the dump into SQL; ``psql`` runs it after emptying the
    schema, all inside one ``BEGIN`` ... ``COMMIT``. The ``COMMIT`` is sent only
    once pg_restore has finished without error, so a dump that fails halfway
    leaves the transaction open when psql ends, and the server rolls it back.
    """
    connection.close()
    with _connect_postgresql(autocommit=True) as own:
        server = own.info.server_version // 10_000
        pg_restore, psql = _tool("pg_restore", server), _tool("psql", server)
        others = _others_connected(own)
    if others:
        raise BackupFailed(
            f"{len(others)} other connection(s) to it are open ({', '.join(others[:5])}): stop famlink serve, the "
            "audit writer and anything else using the database, then restore", where=database_name())
    dbname, env = _tool_environment()
    with tempfile.TemporaryFile() as said:
        runner = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={dbname}", "--file=-"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=said)
        assert runner.stdin is not None
        try:
            runner.stdin.write(f"BEGIN;\nSET lock_timeout TO '{LOCK_WAIT}';\n{_EMPTY_SCHEMA}\n".encode())
            with tempfile.TemporaryFile() as restore_said:
                script = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(copy)],
                                          stdout=subprocess.PIPE, stderr=restore_said)
                assert script.stdout is not None
                with script.stdout:
                    shutil.copyfileobj(script.stdout, runner.stdin, CHUNK)
                if script.wait() != 0:
                    restore_said.seek(0)
                    raise BackupFailed(
                        f"pg_restore could not read the dump, so nothing was changed: "
                        f"{_first_line(restore_said.read().decode(errors='replace'))}", where=str(copy))
            runner.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: what it said is read below
        finally:
            with contextlib.suppress(BrokenPipeError):
                runner.stdin.close()  # without the COMMIT, psql ends with the transaction open: rolled back
            runner.wait()
        if runner.returncode != 0:
            said.seek(0)
            lines = said.read().decode(errors="replace").splitlines()
            reason = _first_line("\n".join(line for line in lines if "ERROR" in line or "FATAL" in line) or "\n".join(lines))
            raise BackupFailed(f"psql failed, so nothing was changed: {reason}", where=database_name())


def replace_database(path: Path, *, confirm: Callable[[RestorePlan], bool]) -> RestorePlan | None:
    """Replace the configured database with a backup, once ``confirm`` agrees; the plan it carried out.

    Everything that can be checked is checked before ``confirm`` is asked,
    and nothing has changed if it says no (then None is returned). The
    database is replaced in one transaction and migrated to this famlink's
    schema; checking its audit log is the caller's next step
    (``famlink.services.backup.restore``).
    """
    kind = _kind()
    path = path.expanduser().absolute()
    with _work_folder(config.data_dir()) as work:
        manifest, copy = _read_archive(path, kind, work)
        _unknown_migrations(manifest, str(path))
        if kind == "postgresql":
            _connect_postgresql().close()  # an unreachable database is named as such, not taken for an empty one
        plan = RestorePlan(path, manifest, database_name(), _log_held(), _key_notes(manifest))
        if not confirm(plan):
            return None
        if kind == "sqlite":
            _restore_sqlite(copy)
        else:
            _restore_postgresql(copy)
    call_command("migrate", verbosity=0, interactive=False)
    return plan

