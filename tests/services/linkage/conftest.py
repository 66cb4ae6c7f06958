"""The small synthetic world most linkage service tests link."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """40 synthetic families (seed 5), generated but not ingested; the data folder is the test's own."""
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    generate(40, 5, tmp_path / "s")
    return tmp_path / "s"
