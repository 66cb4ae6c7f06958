"""The data folder under a umask of 022: only famlink's user can open it or the files in it.

It holds the database (every family's records), the secret keys, the logs and
the outbox. Each case starts a fresh famlink in a folder that does not exist yet.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMessage

from famlink.adapters.outbox import PrivateOutbox
from famlink.core.audit.signing import SIGNING_KEY_FILENAME


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_famlink(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAMLINK_") and k != "DATABASE_URL"}
    env["FAMLINK_DATA_DIR"] = str(data_dir)
    code = f"import os, sys; os.umask(0o022); sys.argv = ['famlink', *{list(args)!r}]; " \
           "from famlink.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_a_new_data_folder_its_database_keys_and_log_are_private(tmp_path: Path) -> None:
    data = tmp_path / "new" / "famlink"
    done = run_famlink(data, "audit", "publish")
    assert done.returncode == 0, done.stderr
    assert mode(data) == 0o700
    for name in ("famlink.sqlite3", "secret_key", SIGNING_KEY_FILENAME, "famlink.log"):
        assert mode(data / name) == 0o600, name


def test_the_outbox_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        outbox = PrivateOutbox(file_path=str(tmp_path / "outbox"))
        EmailMessage("Your request", "We have answered it.", to=["parent@example.org"], connection=outbox).send()
    finally:
        os.umask(old)
    assert mode(tmp_path / "outbox") == 0o700
    [message] = (tmp_path / "outbox").iterdir()
    assert mode(message) == 0o600 and b"We have answered it." in message.read_bytes()
