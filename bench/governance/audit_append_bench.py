"""Audit log on PostgreSQL: sustained appends/s from concurrent writers, verify over 1M entries, proof time.

Run (uses its own database, created if missing, and wipes its audit tables):
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_gov_bench \
    .venv/bin/python bench/governance/audit_append_bench.py --writers 8 --seconds 10 --entries 1000000
Writers are processes by default (``--threads`` for threads in one process); each
commits one transaction per entry, as a request through the policy door does.
``--entries 0`` measures the concurrent appends only.
Targets: >= 2,000 appends/s from concurrent writers; verify 1M < 60 s; a proof < 10 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/famlink_gov_bench")
os.environ.setdefault("FAMLINK_DATA_DIR", tempfile.mkdtemp(prefix="famlink-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")

from bench.database import ensure_database

if TYPE_CHECKING:
    from famlink.adapters.storage.governance.audit_log import AuditFacts




def facts(i: int) -> AuditFacts:
    from famlink.adapters.storage.governance import audit_log
    from famlink.core.audit import AuditEvent, Verdict
    from famlink.core.taxonomy import DataCategory, Purpose

    return audit_log.AuditFacts(
        actor_id=f"staff-{i % 997}", actor_role="practitioner", organisation="Exampleshire County Council",
        purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id=f"P{i % 250_000:012X}",
        data_categories=(DataCategory.HEALTH, DataCategory.IDENTITY), action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW, reasons=("consent_sufficient",))


BASELINE_TABLE = "bench_plain_append"


def write_until(stop: float, baseline: bool = False) -> int:
    """One writer: one transaction per entry (a read, then the entry), until ``stop``.

    ``baseline`` writes the same entry bytes with one plain INSERT and nothing
    else: the most any design with one durable commit per access could reach
    on this machine at this moment.
    """
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from famlink.adapters.storage.governance import audit_log
    from famlink.core.audit import AuditEntry, utc_timestamp

    i = 0
    while time.time() < stop:
        with transaction.atomic():  # one request = one transaction = one entry
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # stands for the access's read
                if baseline:
                    moment = utc_timestamp(timezone.now())
                    entry = AuditEntry(index=0, occurred_at=moment, **audit_log._fields(facts(i)))
                    cursor.execute(f"INSERT INTO {BASELINE_TABLE} (facts) VALUES (%s)", [entry.pending_bytes()])
            if not baseline:
                audit_log.append(facts(i))
        i += 1
    connections.close_all()
    return i


def _process_writer(start: float, stop: float, baseline: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    time.sleep(max(0.0, start - time.time()))
    out.put(write_until(stop, baseline))


def concurrent_appends(writers: int, seconds: float, threads: bool, baseline: bool = False) -> tuple[int, float]:
    """Entries written by ``writers`` concurrent writers in ``seconds``, and the time taken."""
    from django.db import connections

    connections.close_all()
    start = time.time() + (0.5 if threads else 3.0)  # let every writer get ready first
    stop = start + seconds
    done: list[int] = []
    pool: list[Any]
    if threads:
        pool = [threading.Thread(target=lambda: done.append(write_until(stop, baseline))) for _ in range(writers)]
    else:
        queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
        pool = [multiprocessing.get_context("fork").Process(target=_process_writer, args=(start, stop, baseline, queue))
                for _ in range(writers)]
    for worker in pool:
        worker.start()
    if not threads:
        done = [queue.get() for _ in pool]
    for worker in pool:
        worker.join()
    return sum(done), max(time.time(), stop) - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--threads", action="store_true", help="writers are threads in this process, not processes")
    args = parser.parse_args()
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from famlink.adapters.storage.governance import audit_log
    from famlink.adapters.storage.governance.models import (
        AuditLogCounter,
        AuditLogEntry,
        AuditLogPending,
        PublishedTreeHead,
    )
    from famlink.core.audit import InclusionProof

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        for model in (AuditLogEntry, AuditLogPending, AuditLogCounter, PublishedTreeHead):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")

    kind = "threads" if args.threads else "processes"
    print(f"database: {connection.vendor}; writers: {args.writers} {kind}; {args.seconds:.0f} s each run; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, facts bytea)"
                       if connection.vendor == "postgresql" else
                       f"CREATE TABLE {BASELINE_TABLE} (id integer PRIMARY KEY, facts blob)")
    plain, plain_elapsed = concurrent_appends(args.writers, args.seconds, args.threads, baseline=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {BASELINE_TABLE}")
    print(f"baseline, one plain INSERT per transaction, no log: {plain / plain_elapsed:,.0f} transactions/s "
          f"(load average after: {os.getloadavg()[0]:.1f})")
    total, elapsed = concurrent_appends(args.writers, args.seconds, args.threads)
    left_pending = AuditLogPending.objects.count()  # before any reader sequences them
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert left_pending == 0, f"{left_pending} entries were left pending with every writer finished"
    assert indexes == list(range(total)), "gap or duplicate in the audit log"
    print(f"concurrent appends: {total:,} in {elapsed:.1f} s = {total / elapsed:,.0f} entries/s sustained "
          f"({total / elapsed / (plain / plain_elapsed):.0%} of the baseline; "
          f"load average after: {os.getloadavg()[0]:.1f}); left pending: {left_pending}; gap-free: yes")
    check = audit_log.verify()
    assert check.ok and check.entries == total, check
    print(f"verify after the concurrent run: ok ({check.entries:,} entries)")
    if args.entries <= total:
        return
    t0 = time.perf_counter()
    batch = 10_000
    i = total
    while i < args.entries:
        n = min(batch, args.entries - i)
        audit_log.append_many([facts(j) for j in range(i, i + n)])
        i += n
    print(f"bulk-generated to {args.entries:,} entries in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    signed = audit_log.publish()
    print(f"publish (sign head over {signed.head.size:,}): {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    check = audit_log.verify()
    print(f"verify {check.entries:,} entries (ok={check.ok}): {time.perf_counter() - t0:.1f} s")
    assert check.ok

    tree = audit_log.AuditTree()
    t0 = time.perf_counter()
    tree.refresh()
    print(f"proof tree load + build ({len(tree.tree):,} leaves, once per process): {time.perf_counter() - t0:.1f} s")
    rng, samples = random.Random(7), []
    root = bytes.fromhex(PublishedTreeHead.objects.get().root_hash)
    for _ in range(500):
        index = rng.randrange(signed.head.size)
        t1 = time.perf_counter()
        found = tree.prove(index)
        samples.append(time.perf_counter() - t1)
        assert InclusionProof.from_dict(found["proof"]).verify(root)
    samples.sort()
    print(f"inclusion proof incl. DB reads (warm tree): p50 {samples[250] * 1e3:.2f} ms, "
          f"p99 {samples[int(len(samples) * 0.99)] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
