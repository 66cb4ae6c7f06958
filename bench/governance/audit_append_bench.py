"""Audit log on PostgreSQL: concurrent appends/s, verify over 1M entries, proof time.

Run (uses its own database, created if missing, and wipes its audit tables):
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_gov_bench \
    .venv/bin/python bench/governance/audit_append_bench.py --writers 8 --seconds 10 --entries 1000000
Targets: >= 2,000 appends/s from concurrent writers; verify 1M < 60 s; a proof < 10 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/famlink_gov_bench")
os.environ.setdefault("FAMLINK_DATA_DIR", tempfile.mkdtemp(prefix="famlink-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from famlink.adapters.storage.governance import audit_log
    from famlink.adapters.storage.governance.models import (
        AuditLogCounter,
        AuditLogEntry,
        PublishedTreeHead,
    )
    from famlink.core.audit import AuditEvent, InclusionProof, Verdict
    from famlink.core.taxonomy import DataCategory, Purpose

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        for model in (AuditLogEntry, AuditLogCounter, PublishedTreeHead):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")

    def facts(i: int) -> audit_log.AuditFacts:
        return audit_log.AuditFacts(
            actor_id=f"staff-{i % 997}", actor_role="practitioner", organisation="Exampleshire County Council",
            purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id=f"P{i % 250_000:012X}",
            data_categories=(DataCategory.HEALTH, DataCategory.IDENTITY), action=AuditEvent.RECORD_VIEWED,
            decision=Verdict.ALLOW, reasons=("consent_sufficient",))

    print(f"database: {connection.vendor}; writers: {args.writers}; {args.seconds:.0f} s")
    done = [0] * args.writers
    stop = time.perf_counter() + args.seconds
    barrier = threading.Barrier(args.writers)

    def write(w: int) -> None:
        barrier.wait()
        i = 0
        while time.perf_counter() < stop:
            with transaction.atomic():  # one request = one transaction = one entry
                audit_log.append(facts(i))
            i += 1
        done[w] = i
        connections.close_all()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(args.writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    total = sum(done)
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(total)), "gap or duplicate in the audit log"
    print(f"concurrent appends: {total:,} in {elapsed:.1f} s = {total / elapsed:,.0f} entries/s (gap-free: yes)")

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
