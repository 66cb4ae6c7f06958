"""Which database the suite runs on, and a URL another process can reach it by."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from famlink.adapters.storage.governance.audit.placing import LOG_LOCK

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer: entries are placed in their transaction")


def database_url() -> str:
    """The test database as a ``DATABASE_URL`` (for psycopg, or a child process's settings)."""
    db = settings.DATABASES["default"]
    if not ON_POSTGRES:
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def sequencer_busy() -> Iterator[None]:
    """Another session holds the log's lock, as a sequencer elsewhere would."""
    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [LOG_LOCK])
        try:
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", [LOG_LOCK])


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys for signed tree heads live in a temporary data folder, never the repo (autouse where a conftest imports it)."""
    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path))
    return tmp_path
