"""Which database the suite runs on, and a URL another process can reach it by."""

from __future__ import annotations

import pytest
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer: entries are placed in their transaction")


def database_url() -> str:
    """The test database as a ``DATABASE_URL`` (for psycopg, or a child process's settings)."""
    db = settings.DATABASES["default"]
    if not ON_POSTGRES:
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
