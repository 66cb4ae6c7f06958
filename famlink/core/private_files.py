"""Folders and files that only famlink's own user may open, whatever the umask.

The data folder holds the database (every family's records), the secret and
signing keys, the logs and the outbox. A umask of 022, the usual default,
would make each of them readable by every account on the machine; so every
folder famlink creates there is 0700 and every file 0600, set explicitly
rather than left to the umask. A folder or file that already exists keeps the
mode its owner gave it: famlink does not take back what an administrator
chose (docs/configuration.md says how to check).
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path | str) -> Path:
    """``path`` as a folder, created (with any missing parents) 0700 if it was not there."""
    path = Path(path)
    if path.is_dir():
        return path
    if path.parent != path and not path.parent.is_dir():
        private_folder(path.parent)
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileExistsError:
        return path  # made by someone else just now: theirs to decide
    os.chmod(path, FOLDER_MODE)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path | str) -> Path:
    """``path`` as a file, created empty and 0600 if it was not there (a database, a log)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path | str, content: bytes, *, replace: bool = False) -> bool:
    """Write ``content`` to ``path`` as a whole 0600 file; nobody ever sees it half-written.

    Without ``replace`` an existing file is kept and ``False`` returned, so two
    processes creating a key at once end up with one key, not two.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(content)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails if the file exists: the first writer wins
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)
