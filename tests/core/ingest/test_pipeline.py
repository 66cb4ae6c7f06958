"""Rows validated in a second process: every row arrives, and a worker that dies never leaves ingest waiting."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """In a fresh interpreter: whether forking is safe depends on which threads the process has."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, check=False)


def test_rows_come_back_in_order_from_the_worker() -> None:
    done = _run("""
        from famlink.core.ingest.pipeline import fork_is_safe, in_worker_process
        assert fork_is_safe()
        print(sum(1 for _ in in_worker_process(iter(range(10_000)))), list(in_worker_process(iter("abc"))))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["10000", "['a',", "'b',", "'c']"]


def test_a_worker_that_dies_stops_ingest_with_a_message_instead_of_a_hang() -> None:
    done = _run("""
        import os
        from famlink.core.errors import FamlinkError
        from famlink.core.ingest.pipeline import in_worker_process

        def rows():
            yield 1
            os._exit(3)  # killed, as by the kernel: no goodbye on the queue

        got = []
        try:
            for row in in_worker_process(rows()):
                got.append(row)
        except FamlinkError as error:
            print(len(got) <= 1, error)  # what it had not yet flushed is lost with it: ingest stops, a rerun resumes
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True the process reading the file stopped unexpectedly (exit code 3)")
    assert "run the same command again" in done.stdout


def test_a_process_running_native_threads_validates_in_place_rather_than_fork() -> None:
    done = _run("""
        import duckdb
        duckdb.sql("SELECT 1").fetchall()  # DuckDB's own thread pool is now running
        from famlink.core.ingest.pipeline import fork_is_safe, in_worker_process
        print(fork_is_safe(), list(in_worker_process(iter([1, 2, 3]))))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "[1,", "2,", "3]"]
