"""gunicorn's settings for ``famlink serve``: the master starts the audit writer before any worker, and stops it last.

On PostgreSQL the web workers send the audit entries of reads to the writer,
which commits them many at a time (``famlink.adapters.storage.governance.audit.writer``). Without it every
request writes its own entry, which is correct but slower, so a writer that
fails to start is reported, not fatal.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any

from famlink.config import (  # names, not the module: gunicorn has a "config" setting
    audit_writer_socket,
    database_url,
)

_writer: subprocess.Popen[bytes] | None = None


def _listening() -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(audit_writer_socket()))
        except OSError:
            return False
    return True


def on_starting(server: Any) -> None:
    global _writer
    if not database_url().startswith("postgres"):
        return  # SQLite: each request writes its own entry
    _writer = subprocess.Popen([sys.executable, "-m", "famlink", "audit", "writer"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _writer.poll() is None and not _listening():
        time.sleep(0.05)
    if not _listening():
        server.log.warning("The audit writer did not start; each request will write its own audit entry.")


def on_exit(server: Any) -> None:
    if _writer is not None and _writer.poll() is None:
        _writer.terminate()
        try:
            _writer.wait(30)
        except subprocess.TimeoutExpired:
            _writer.kill()
