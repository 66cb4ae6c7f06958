"""Stopping and starting PostgreSQL in the middle of requests loses nothing and duplicates nothing.

The server stopped and started is a private one, made for this module with
``initdb`` in a temporary folder on a free port, so that no other test run
on the machine's server is disturbed. The requests run in a process of
their own (``restart_workload.py``): reads through the policy door, whose
entries go to the audit writer, and consent changes, whose entries commit
with them. Then, from what each caller was told:

- a read that was shown has its audit entry exactly once;
- a consent change is committed exactly once if its caller was told so,
  and not at all if it was told it failed (and retrying it worked);
- no entry is in the log twice, nothing is left pending, the log verifies;
- a worker's connection that sat idle through the restart serves its next
  request, instead of failing it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from famlink.core.audit import utc_timestamp
from famlink.core.taxonomy import Purpose
from tests.common import REPO
from tests.common.database import ON_POSTGRES

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="it restarts PostgreSQL: part of the PostgreSQL run"),
    pytest.mark.slow,
]

#: Where Debian and Ubuntu put a PostgreSQL server's programs; else PATH.
SERVER_PROGRAMS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass
class PrivateServer:
    """A PostgreSQL instance of this test's own: stop and start it at will."""

    programs: Path
    data: Path
    port: int
    as_owner: list[str]  # runuser -u postgres --, when the tests run as root (initdb refuses root)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/famlink"

    def _pg_ctl(self, *arguments: str) -> None:
        subprocess.run([*self.as_owner, str(self.programs / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                        *arguments], check=True, capture_output=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c shared_buffers=16MB -c max_connections=40")
        self._pg_ctl("-l", str(self.data / "server.log"), "-o", options, "start")

    def stop(self, mode: str) -> None:
        self._pg_ctl("-m", mode, "stop")


def _programs() -> Path | None:
    for folder in [*SERVER_PROGRAMS, *(Path(p).parent for p in filter(None, [shutil.which("initdb")]))]:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def private_server() -> Iterator[PrivateServer]:
    programs = _programs()
    if programs is None:
        pytest.skip("initdb and pg_ctl were not found (/usr/lib/postgresql/*/bin or PATH): install postgresql-15")
    as_owner: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="famlink-pg-"))  # short: the server's socket lives in it
    if os.geteuid() == 0:  # initdb will not run as root: run the server as the postgres user
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("running as root without a postgres user to run a private server as")
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    try:
        subprocess.run([*as_owner, str(programs / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True)
        server = PrivateServer(programs, data, _free_port(), as_owner)
        server.start()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE famlink")
        yield server
    finally:
        subprocess.run([*as_owner, str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


class Workload:
    """``restart_workload.py`` in its own process; its lines read in a thread, so a wait can time out."""

    def __init__(self, server: PrivateServer, folder: Path) -> None:
        self.report, self.errors = folder / "report.json", folder / "workload.err"
        socket_folder = Path(tempfile.mkdtemp(prefix="fl-", dir="/tmp"))
        env = {**os.environ, "DATABASE_URL": server.url, "FAMLINK_DATA_DIR": str(folder),
               "FAMLINK_AUDIT_WRITER_SOCKET": str(socket_folder / "w.sock"), "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.adapters.storage.restart_workload", str(self.report)],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors.open("w"), text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.socket_folder = socket_folder

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("(it exited)")

    def expect(self, word: str, within: float) -> None:
        try:
            said = self.lines.get(timeout=within)
        except queue.Empty:
            said = f"(nothing within {within} s)"
        assert said == word, f"the workload said {said!r}, not {word!r}:\n{self.errors.read_text()[-3000:]}"

    def tell(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.socket_folder, ignore_errors=True)


def what_the_database_holds(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Every audit entry (as hashed), every consent event the workload made, and how many entries are pending."""
    with psycopg.connect(url) as db:
        entries = [json.loads(bytes(data)) for (data,) in db.execute(
            'SELECT entry_bytes FROM governance_auditlogentry ORDER BY "index"')]
        events = [{"at": utc_timestamp(at), "audit_index": index, "state": state} for at, index, state in db.execute(
            "SELECT e.occurred_at, e.audit_index, e.state FROM governance_consentevent e "
            "JOIN governance_consent c ON c.id = e.consent_id WHERE c.purpose = %s",
            [Purpose.EARLY_HELP_IDENTIFICATION.value])]
        pending = db.execute("SELECT count(*) FROM governance_auditlogpending").fetchone()
    return entries, events, int(pending[0]) if pending else -1


def test_stopping_and_starting_postgresql_mid_requests_loses_and_duplicates_nothing(
    private_server: PrivateServer, tmp_path: Path
) -> None:
    workload = Workload(private_server, tmp_path)
    try:
        workload.expect("ready", within=120)
        for mode in ("fast", "immediate"):  # a clean shutdown, then one as abrupt as a crash
            time.sleep(0.5)  # requests in flight
            private_server.stop(mode)
            time.sleep(1.0)  # requests arriving while it is down
            private_server.start()
            workload.tell("restarted")
            workload.expect("progressed", within=60)
        workload.tell("finish")
        workload.expect("done", within=60)
    finally:
        workload.close()
    told = json.loads(workload.report.read_text())

    checked = subprocess.run([sys.executable, "-m", "famlink", "audit", "verify", "--json"], cwd=REPO,
                             env={**os.environ, "DATABASE_URL": private_server.url, "FAMLINK_DATA_DIR": str(tmp_path),
                                  "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
    entries, events, pending = what_the_database_holds(private_server.url)
    assert pending == 0

    logged = Counter((e["actor_id"], e["action"], e["occurred_at"]) for e in entries)
    assert [key for key, count in logged.items() if count > 1] == []  # no entry twice

    reads = told["reads"]
    shown = [r for r in reads if r["outcome"] == "shown"]
    failed_reads = [r for r in reads if r["outcome"] != "shown"]
    assert [r for r in shown if logged[(r["actor"], "record:viewed", r["at"])] != 1] == []
    idle = [r for r in reads if r["actor"] == told["idle"]]
    assert [r["outcome"] for r in idle] == ["shown"] * 3, "a connection idle through the restart failed a request"

    consents = told["consents"]
    committed = [c for c in consents if c["outcome"] == "committed"]
    failed_changes = [c for c in consents if c["outcome"] != "committed"]
    event_at = Counter(e["at"] for e in events)
    assert [c for c in committed if event_at[c["at"]] != 1] == []  # committed once, as its caller was told
    assert [c for c in failed_changes if event_at[c["at"]] != 0] == []  # told it failed: it did
    assert len(events) == len(committed) + 0  # and nothing else changed consent
    by_index = {i: e for i, e in enumerate(entries)}
    for event in events:  # each change's entry is where the change says
        entry = by_index[event["audit_index"]]
        assert entry["occurred_at"] == event["at"] and entry["action"] == f"consent:{event['state']}"
    assert consents[-1]["outcome"] == "committed"  # retrying after a failure worked

    assert failed_reads or failed_changes, "the restarts did not catch any request in flight"
