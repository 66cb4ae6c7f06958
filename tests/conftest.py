"""Fixtures shared by the whole suite."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.common.extracts import FIXTURES, GP_HEADER


@pytest.fixture
def gp_definition() -> Path:
    return FIXTURES / "gp_appointments.toml"


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (lists of cells) under a header to a CSV file and return its path."""

    def write(rows: list[list[str]], header: list[str] | None = None, name: str = "extract.csv") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header or GP_HEADER)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture(autouse=True)
def audit_witness_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's database starts empty, so each gets its own witness file of signed tree heads too.

    A witness file shared between tests would hold heads of logs that no
    longer exist, and ``famlink audit publish`` rightly refuses to sign a log
    that contradicts a witnessed head.
    """
    path = tmp_path_factory.mktemp("audit-witness") / "tree-heads.jsonl"
    monkeypatch.setenv("FAMLINK_AUDIT_WITNESS_FILE", str(path))
    return path


@pytest.fixture
def linkage_without_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record linkage under ``opt_out``: for tests of matching itself, where nobody has answered.

    The default (``consent``) keeps every unanswered person's records apart
    across services; tests/services/linkage/test_consent.py tests that.
    """
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", "service.record_linkage=opt_out")


@pytest.fixture
def refusing_database() -> Callable[[], None]:
    """A database that refuses any record with the surname Refused: a real database error midway through
    an ingest (PostgreSQL's message even quotes the value). Returns a function that lifts the refusal."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE FUNCTION refuse_surname() RETURNS trigger AS $$ BEGIN IF NEW.surname = 'Refused' "
                           "THEN RAISE EXCEPTION 'refused %', NEW.surname; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER refuse_surname BEFORE INSERT ON sources_sourcerecord "
                           "FOR EACH ROW EXECUTE FUNCTION refuse_surname()")
        else:
            cursor.execute("CREATE TRIGGER refuse_surname BEFORE INSERT ON sources_sourcerecord "
                           "WHEN NEW.surname = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused Refused'); END")

    def lift() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_surname" + (" ON sources_sourcerecord" if connection.vendor == "postgresql" else ""))

    return lift


@pytest.fixture(scope="session", autouse=True)
def no_spark_left_running() -> object:
    """Stop the Spark session (and its JVM) that Spark tests started, if any."""
    yield
    if "pyspark" not in sys.modules:
        return
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        process = getattr(gateway, "proc", None)
        gateway.shutdown()
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        SparkContext._gateway = SparkContext._jvm = None
