"""The audit writer: one process that commits the entries of reads in groups (PostgreSQL).

Every access through the policy door needs its entry durable before the data
leaves the door. Written in the request's own transaction (the pending row,
``append``), that is one durable commit per access. An entry that only
records a read (``READ_EVENTS``) has no change to commit with, so it may be
made durable *ahead* of its transaction (write-ahead, docs/audit.md §7):
the request sends it here over a Unix socket and waits; the writer gathers
what every worker sent while its last commit was flushing, places it all in
the log in one statement (``place_ahead``), and answers each
request with its entry's index once that commit is on disk. One commit then
serves many accesses, and the requests' own transactions write nothing.

If no writer listens (commands, tests, SQLite, ``famlink serve`` not used),
or it cannot commit (the log's counter locked too long, the database gone), the
request writes its entry in its own transaction as before. If the writer
vanishes after the request has sent its entry, the request cannot know
whether the entry was committed: it fails (``AuditUnavailable``) and shows
nothing, so no access goes unaudited.

The wire format, both ways a 4-byte big-endian length and then the body. A
request's body: for each entry, a 4-byte length and its pending bytes. The
answer's body: ``0`` then the first entry's index as 8 bytes (the rest
follow in order); ``1`` then a reason (UTF-8): write it yourself; ``2`` then
a reason: the bytes are not entries (a fault in the sender).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import selectors
import signal
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection

from famlink import config
from famlink.adapters.storage.governance.audit.rows import ENTRY_COLUMNS, OwnConnection, table
from famlink.adapters.storage.governance.models import AuditLogCounter, AuditLogEntry
from famlink.core.audit import AuditEntry
from famlink.core.errors import FamlinkError, InvalidInput

log = logging.getLogger(__name__)

LENGTH = struct.Struct(">I")
INDEX = struct.Struct(">Q")
PLACED, WRITE_IT_YOURSELF, NOT_ENTRIES = 0, 1, 2
#: The most a request may send (bytes): a request logs a handful of entries.
LARGEST = 16 * 1024 * 1024
#: How long the writer waits for the counter's lock before telling its requests to write their own entries.
LOCK_WAIT = "2s"
#: How long one of the writer's threads may hold Python's lock while the other waits (seconds): the
#: committer must not wait for the reader's 5 ms default after each commit.
SWITCH = 0.0002
#: How long a request waits for its answer before it fails (seconds).
ANSWER_WITHIN = 30.0


class AuditUnavailable(FamlinkError):
    """The audit log could not confirm an access's entry, so the access did not happen."""

    status = 503


def _framed(body: bytes) -> bytes:
    return LENGTH.pack(len(body)) + body


def _entries_in(body: bytes) -> list[bytes]:
    """The pending bytes of each entry in a request's body."""
    entries, at = [], 0
    while at < len(body):
        if at + LENGTH.size > len(body):
            raise InvalidInput("an entry's length is cut short", where=f"byte {at}")
        (size,) = LENGTH.unpack_from(body, at)
        at += LENGTH.size
        if size == 0 or at + size > len(body):
            raise InvalidInput(f"an entry of {size} bytes does not fit the request", where=f"byte {at}")
        entries.append(body[at : at + size])
        at += size
    if not entries:
        raise InvalidInput("a request to the audit writer held no entries")
    return entries


# --- the writer's SQL ----------------------------------------------------------------------------


#: The audit writer's transaction, one statement: claim indexes from the counter, place the entries
#: sent to it and return the first index. See ``place_ahead``.
_PLACE_AHEAD = """
WITH claimed AS (
    UPDATE {counter} SET next_index = next_index + cardinality(%(facts)s::bytea[]) WHERE id = 1
    RETURNING next_index - cardinality(%(facts)s::bytea[]) AS first
), sent AS MATERIALIZED (  -- each entry's JSON parsed once, not once for each column read from it
    SELECT claimed.first + t.n - 1 AS index, t.facts, convert_from(t.facts, 'UTF8')::jsonb AS j,
           position('\\x2c226a757374696669636174696f6e223a'::bytea IN t.facts) AS at
    FROM claimed, unnest(%(facts)s::bytea[]) WITH ORDINALITY AS t(facts, n)
), placed AS (
    SELECT *, substring(facts FROM 1 FOR at - 1) || convert_to(',"index":' || index, 'UTF8') || substring(facts FROM at)
              AS entry_bytes
    FROM sent
), written AS (
    INSERT INTO {entries} ({columns})
    SELECT index, entry_bytes, sha256('\\x00'::bytea || entry_bytes), j->>'actor_id', j->>'actor_role',
           j->>'organisation', j->>'purpose', j->>'subject_id', j->>'action', j->>'decision',
           (j->>'occurred_at')::timestamptz
    FROM placed
)
SELECT first FROM claimed
"""


def place_ahead(own: psycopg.Connection[Any], sent: list[bytes]) -> int:
    """Place entries sent to the audit writer (pending bytes it has read as entries); the index of the first.

    One statement on the writer's autocommit connection, so one round trip
    and one synchronous commit: it moves the counter on and inserts the
    entries. The database makes each entry's bytes, leaf hash and readable
    columns, as ``AuditEntry.placed_bytes``, ``leaf_hash`` and
    ``placing.placed_rows`` would (a test holds the two to the same rows, and
    ``verify`` recomputes them), so nothing has to be read back first.

    It does not take the log's advisory lock: the counter row's lock, held
    from the UPDATE to the commit, already orders every placing (the
    sequencers' too), so indexes stay gap-free and each placing commits
    after the one before. Pending entries are left to the sequencers.
    """
    params = {"facts": sent}
    sql = _PLACE_AHEAD.format(counter=table(AuditLogCounter), entries=table(AuditLogEntry),
                              columns=", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS))
    claimed = own.execute(sql, params, binary=True).fetchone()
    if claimed is None:  # first use (or a test flushed the table): no counter row to move on yet
        own.execute(f"INSERT INTO {table(AuditLogCounter)} (id, next_index) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
        claimed = own.execute(sql, params, binary=True).fetchone()
    if claimed is None:
        raise psycopg.DataError("the audit log's counter could not be created")
    return int(claimed[0])



# --- the writer ---------------------------------------------------------------------------------


@dataclass
class _Peer:
    """One connected worker: bytes received so far, and its request once whole."""

    sock: socket.socket
    received: bytearray = field(default_factory=bytearray)

    def request(self) -> bytes | None:
        """The body of a whole request, taken from what was received; None while it is incomplete."""
        if len(self.received) < LENGTH.size:
            return None
        (size,) = LENGTH.unpack_from(self.received)
        if size > LARGEST:
            raise InvalidInput(f"a request of {size:,} bytes is over the {LARGEST:,} allowed")
        if len(self.received) < LENGTH.size + size:
            return None
        body = bytes(self.received[LENGTH.size : LENGTH.size + size])
        del self.received[: LENGTH.size + size]
        return body


class AuditWriter:
    """Listens on a Unix socket; commits what its peers send in groups, one transaction a group.

    Two threads. The *reader* waits until a peer has sent something, reads
    every whole request that has arrived, checks that its bytes are entries,
    and queues it. The *committer* takes everything queued, commits it in one
    statement, then answers each request. While a commit is flushing, the
    reader goes on reading, so the next group is ready when it ends: the
    busier the workers, the more entries each commit carries. The socket is
    readable and writable by this user only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.commits = 0
        self.placed = 0
        self._own = OwnConnection(synchronous=True, lock_wait=LOCK_WAIT)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._queued: list[tuple[_Peer, list[bytes]]] = []
        self._ready = threading.Condition()

    def stop(self) -> None:
        self._stop.set()

    def wait_until_listening(self, timeout: float = 10.0) -> bool:
        return self._listening.wait(timeout)

    def serve(self) -> None:
        """Answer requests until ``stop`` (or SIGTERM, when run as a command); what was queued is committed first."""
        if connection.vendor != "postgresql":
            raise InvalidInput("the audit writer needs PostgreSQL; on SQLite each request writes its own entry")
        listener = self._listen()
        listener.listen(512)
        listener.setblocking(False)
        peers = selectors.DefaultSelector()
        peers.register(listener, selectors.EVENT_READ)
        committer = threading.Thread(target=self._commit_until_stopped, name="famlink-audit-committer")
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH)
        committer.start()
        self._listening.set()
        try:
            while not self._stop.is_set():
                self._read(peers, listener)
        finally:
            self._stop.set()
            with self._ready:
                self._ready.notify()
            committer.join()
            sys.setswitchinterval(switch)
            for key in list(peers.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            peers.close()
            self.path.unlink(missing_ok=True)

    def _listen(self) -> socket.socket:
        """The listening socket at ``path``, readable and writable by this user only."""
        where = "FAMLINK_AUDIT_WRITER_SOCKET"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.path))
            except OSError:
                pass  # nobody listens: a leftover socket file, if any, is a writer that died
            else:
                raise InvalidInput(f"an audit writer is already listening at {self.path}", where=where)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)
        try:
            self.path.unlink(missing_ok=True)
            listener.bind(str(self.path))
        except OSError as error:
            listener.close()
            raise InvalidInput(f"cannot listen at {self.path}: {error.strerror or error}", where=where) from None
        finally:
            os.umask(old_mask)
        return listener

    def _read(self, peers: selectors.BaseSelector, listener: socket.socket) -> None:
        """Queue every whole request received by now (waiting up to 0.2 s for the first)."""
        readable: list[tuple[_Peer, list[bytes]]] = []
        for key, _ in peers.select(timeout=0.2):
            if key.fileobj is listener:
                try:
                    sock, _ = listener.accept()
                except BlockingIOError:
                    continue
                sock.setblocking(False)
                peers.register(sock, selectors.EVENT_READ, _Peer(sock))
                continue
            peer: _Peer = key.data
            try:
                data = peer.sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:  # the worker went away
                peers.unregister(peer.sock)
                peer.sock.close()
                continue
            peer.received += data
            try:
                while (body := peer.request()) is not None:
                    readable.append((peer, self._entries(peer, body)))
            except InvalidInput as error:  # too big to be a request: not a famlink worker
                log.warning("audit writer: %s; closing that connection", error.text)
                peers.unregister(peer.sock)
                peer.sock.close()
        if readable := [(peer, entries) for peer, entries in readable if entries]:
            with self._ready:
                self._queued += readable
                self._ready.notify()

    def _entries(self, peer: _Peer, body: bytes) -> list[bytes]:
        """A request's entries, each checked to be a canonical pending entry; none (answered) if any is not."""
        try:
            entries = _entries_in(body)
            for data in entries:
                AuditEntry.from_pending_bytes(data, 0)
        except InvalidInput as error:
            self._answer(peer, NOT_ENTRIES, error.text.encode())
            return []
        return entries

    def _commit_until_stopped(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._queued and not self._stop.is_set():
                        self._ready.wait()
                    if not self._queued:
                        return
                    group, self._queued = self._queued, []
                self._commit(group)
        finally:
            self._own.close()

    def _commit(self, group: list[tuple[_Peer, list[bytes]]]) -> None:
        """Place every request's entries in one transaction, then answer each request."""
        sent = [data for _, entries in group for data in entries]
        try:
            first = place_ahead(self._own.get(), sent)
        except psycopg.Error as error:  # lock held too long, or the database went away: they write their own
            log.warning("audit writer: could not commit %d requests: %s", len(group), error)
            self._own.close()
            for peer, _ in group:
                self._answer(peer, WRITE_IT_YOURSELF, str(error).encode())
            return
        self.commits += 1
        self.placed += len(sent)
        for peer, entries in group:
            self._answer(peer, PLACED, INDEX.pack(first))
            first += len(entries)

    def _answer(self, peer: _Peer, status: int, detail: bytes) -> None:
        with contextlib.suppress(OSError):  # the worker went away; its request failed on its side
            peer.sock.sendall(_framed(bytes([status]) + detail))  # a few bytes: they fit its empty buffer



def run(path: Path | None = None) -> None:
    """Run a writer in this process until SIGTERM or SIGINT (``famlink audit writer``)."""
    writer = AuditWriter(path or config.audit_writer_socket())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: writer.stop())
    writer.serve()


# --- a worker's side ----------------------------------------------------------------------------


class _Link(threading.local):
    sock: socket.socket | None = None
    pid: int = 0


_link = _Link()


def _answer_from(sock: socket.socket) -> bytes:
    """The body of the writer's answer (one read, nearly always: answers are a few bytes)."""
    data = bytearray()
    while len(data) < LENGTH.size or len(data) < LENGTH.size + LENGTH.unpack_from(data)[0]:
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("the audit writer closed the connection")
        data += chunk
    return bytes(data[LENGTH.size :])


def _connected() -> socket.socket | None:
    """This thread's connection to the writer, made if needed; None if no writer listens."""
    if _link.sock is not None and _link.pid == os.getpid():
        if _still_open(_link.sock):
            return _link.sock
        _forget()  # the writer stopped or restarted since this thread's last request
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(ANSWER_WITHIN)
    try:
        sock.connect(str(config.audit_writer_socket()))
    except OSError:  # no socket, or a stale one: nobody is listening
        sock.close()
        return None
    _link.sock, _link.pid = sock, os.getpid()
    return sock


def _still_open(sock: socket.socket) -> bool:
    """Has the writer not closed this connection? (Between requests it never sends anything.)"""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return not readable or sock.recv(1, socket.MSG_PEEK) != b""  # readable and nothing there: closed
    except OSError:
        return False


def _forget() -> None:
    if _link.sock is not None and _link.pid == os.getpid():
        _link.sock.close()
    _link.sock = None


def send_ahead(entries: list[bytes]) -> int | None:
    """Have the writer commit ``entries`` (pending bytes); the index of the first once durable.

    None when no writer listens or it could not commit: the caller then
    writes them in its own transaction. Raises ``AuditUnavailable`` when
    the writer went away with the entries, committed or not.
    """
    sock = _connected()
    if sock is None:
        return None
    try:
        sock.sendall(_framed(b"".join(LENGTH.pack(len(data)) + data for data in entries)))
    except OSError:  # the writer had gone before this request: nothing was sent
        _forget()
        return None
    try:
        answer = _answer_from(sock)
    except OSError as error:
        _forget()
        raise AuditUnavailable(
            "The audit log did not confirm this access, so nothing was shown. Please try again."
        ) from error
    if answer[0] == PLACED:
        (first,) = INDEX.unpack_from(answer, 1)
        return int(first)
    if answer[0] == WRITE_IT_YOURSELF:
        return None
    raise InvalidInput(f"the audit writer refused the entries: {answer[1:].decode(errors='replace')}")
