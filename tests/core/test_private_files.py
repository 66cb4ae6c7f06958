"""Folders and files only famlink's own user may open, whatever the umask says."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from famlink.core.private_files import private_file, private_folder, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000, 0o277])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The usual umask, the loosest, and one that would leave famlink unable to use its own folder."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_a_new_folder_and_the_parents_it_needed_are_0700(tmp_path: Path, umask: int) -> None:
    made = private_folder(tmp_path / "a" / "b")
    assert made.is_dir()
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700


def test_an_existing_folder_keeps_the_mode_its_owner_chose(tmp_path: Path, umask: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)
    private_folder(shared)
    assert mode(shared) == 0o750


def test_a_new_file_is_0600_and_an_existing_one_is_left_alone(tmp_path: Path, umask: int) -> None:
    assert mode(private_file(tmp_path / "db")) == 0o600
    (tmp_path / "db").write_bytes(b"data")
    private_file(tmp_path / "db")
    assert (tmp_path / "db").read_bytes() == b"data"


def test_written_files_are_0600_from_the_first_byte(tmp_path: Path, umask: int) -> None:
    key = tmp_path / "key"
    assert write_private(key, b"first") is True
    assert mode(key) == 0o600 and key.read_bytes() == b"first"
    assert write_private(key, b"second") is False  # never overwritten unless asked
    assert key.read_bytes() == b"first"
    assert write_private(key, b"third", replace=True) is True
    assert mode(key) == 0o600 and key.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["key"]  # no temporary file left behind


def test_writers_racing_for_one_file_leave_one_whole_content(tmp_path: Path) -> None:
    key = tmp_path / "key"
    won: list[bytes] = []
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        barrier.wait()
        content = str(i).encode() * 1000
        if write_private(key, content):
            won.append(content)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and key.read_bytes() == won[0]
