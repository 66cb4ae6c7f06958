"""``famlink serve``'s gunicorn hooks: the audit writer starts before the workers and stops after them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from famlink import gunicorn_conf
from famlink.adapters.storage.governance.audit import writer as audit_writer
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import AuditLogEntry
from tests.common.builders import facts
from tests.common.database import ON_POSTGRES, database_url

pytestmark = pytest.mark.django_db(transaction=True)


class Server:
    """What the hooks use of gunicorn's arbiter: its log."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.log = self

    def warning(self, message: str, *args: Any) -> None:
        self.warnings.append(message % args if args else message)


@pytest.fixture
def socket_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = Path(tempfile.mkdtemp(prefix="fl-", dir="/tmp")) / "w.sock"
    monkeypatch.setenv("FAMLINK_AUDIT_WRITER_SOCKET", str(path))
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url())  # the writer's process uses this test's database
    return path


def test_on_postgresql_serve_runs_the_audit_writer_for_its_workers(socket_path: Path) -> None:
    if not ON_POSTGRES:
        pytest.skip("PostgreSQL only")
    server = Server()
    gunicorn_conf.on_starting(server)
    try:
        assert server.warnings == [] and socket_path.exists()
        assert append(facts(0)).index == 0  # placed by the writer's process, not this one
        assert AuditLogEntry.objects.count() == 1
    finally:
        gunicorn_conf.on_exit(server)
        audit_writer._forget()
    assert gunicorn_conf._writer is not None and gunicorn_conf._writer.returncode == 0  # stopped cleanly
    assert not socket_path.exists()


def test_on_sqlite_serve_starts_no_writer(socket_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gunicorn_conf, "_writer", None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{socket_path.parent / 'x.sqlite3'}")
    gunicorn_conf.on_starting(Server())
    assert gunicorn_conf._writer is None and not socket_path.exists()


def test_famlink_serve_answers_with_these_hooks_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn reads every name in the module that matches one of its settings: a stray one stops it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "FAMLINK_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    famlink = [sys.executable, "-m", "famlink"]
    server = subprocess.Popen([*famlink, "serve", "--port", str(port), "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status = None
        deadline = time.monotonic() + 120  # it migrates first: minutes on a loaded 2-core machine
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    status = page.status
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        assert status == 200, server.stdout.read().decode() if server.poll() is not None and server.stdout else ""
    finally:
        server.terminate()
        server.wait(30)
