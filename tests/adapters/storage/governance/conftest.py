"""Keys for signed tree heads live in a temporary data folder, never the repo."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path
