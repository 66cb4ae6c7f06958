"""The one thing every bench that uses PostgreSQL needs first: its own database, created if missing."""

from __future__ import annotations


def ensure_database(url: str) -> None:
    """Create the database named at the end of a ``postgresql://`` URL if it does not exist; SQLite needs nothing."""
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
