"""Inclusion proofs from the stored audit tree at 10,000,000 entries on PostgreSQL: p50 and p99.

Run (uses its own database, created if missing; generating 10M entries takes several minutes):
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_proof_bench \\
    .venv/bin/python bench/governance/proof_bench.py --entries 10000000
The log is written with COPY (real canonical entries, their leaf hashes and readable
columns, as the sequencer would place them); a later run with the same --entries reuses
it (--fresh writes it again; --proofs-only keeps its stored tree and heads too, and times
proofs only). Then ``publish`` builds the stored tree (once,
over every leaf) and signs, and the bench times ``prove`` (what the portal's
proof download and ``famlink audit prove`` call) for random entries, checking each proof
against the signed root. Last, it appends a few entries and publishes again, to time
extending the tree by what is new only.
Target: proof p99 < 10 ms at 10,000,000 entries.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/famlink_proof_bench")
os.environ.setdefault("FAMLINK_DATA_DIR", tempfile.mkdtemp(prefix="famlink-proof-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")

from bench.database import ensure_database

START = datetime(2026, 1, 1, tzinfo=UTC)
COPY_TYPES = ["int8", "bytea", "bytea", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar",
              "varchar", "timestamptz"]


def write_log(n: int) -> None:
    """Empty the audit tables, then COPY ``n`` placed entries in, exactly as placing would store them."""
    from django.db import connection, transaction

    from famlink.adapters.storage.governance.audit.rows import ENTRY_COLUMNS
    from famlink.adapters.storage.governance.models import (
        AuditLogCounter,
        AuditLogEntry,
        AuditLogPending,
        AuditTreeTile,
        PublishedTreeHead,
    )
    from famlink.core.audit import AuditEntry, AuditEvent, Verdict, canonical_json, leaf_hash
    from famlink.core.taxonomy import DataCategory, Purpose

    with connection.cursor() as cursor:
        for model in (AuditLogEntry, AuditLogPending, AuditLogCounter, PublishedTreeHead, AuditTreeTile):
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
    template = AuditEntry(
        index=0, actor_id="staff-0", actor_role="practitioner", organisation="Exampleshire County Council",
        purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id="P0", data_categories=(DataCategory.HEALTH,
        DataCategory.IDENTITY), action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW,
        reasons=("consent_sufficient",), justification="", occurred_at=START,
    ).to_dict()
    columns = ", ".join(connection.ops.quote_name(c) for c in ENTRY_COLUMNS)
    connection.ensure_connection()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {AuditLogEntry._meta.db_table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(COPY_TYPES)
            for i in range(n):
                moment = START + timedelta(seconds=i)
                template["index"] = i
                template["actor_id"] = actor = f"staff-{i % 997}"
                template["subject_id"] = subject = f"P{i % 250_000:012X}"
                template["occurred_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                data = canonical_json(template)
                copy.write_row((i, data, leaf_hash(data), actor, "practitioner", "Exampleshire County Council",
                                Purpose.DIRECT_SERVICE_DELIVERY.value, subject, AuditEvent.RECORD_VIEWED.value,
                                Verdict.ALLOW.value, moment))
                if i and i % 1_000_000 == 0:
                    print(f"  {i:,} entries copied, {time.perf_counter() - t0:.0f} s", flush=True)
        cursor.execute(f"INSERT INTO {AuditLogCounter._meta.db_table} (id, next_index) VALUES (1, %s)", [n])
    print(f"wrote {n:,} entries with COPY in {time.perf_counter() - t0:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {AuditLogEntry._meta.db_table}")


def percentile(samples: list[float], share: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * share))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--fresh", action="store_true", help="write the log again even if it has --entries entries")
    parser.add_argument("--proofs-only", action="store_true",
                        help="keep the stored tree and heads of an earlier run with the same --entries: time proofs only")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from famlink.adapters.storage.governance.audit.append import append_many
    from famlink.adapters.storage.governance.audit.rows import committed_size
    from famlink.adapters.storage.governance.models import AuditTreeTile, PublishedTreeHead
    from famlink.core.audit import (
        AuditEvent,
        AuditFacts,
        InclusionProof,
        SignedTreeHead,
        Verdict,
        leaf_hash,
    )
    from famlink.core.taxonomy import DataCategory, Purpose
    from famlink.services.governance.audit.proofs import prove
    from famlink.services.governance.audit.publication import publish

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {os.environ['DATABASE_URL'].rsplit('/', 1)[1]}; "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    latest = PublishedTreeHead.objects.order_by("-size", "-id").first()
    if args.proofs_only and latest is not None and latest.size >= args.entries:
        signed = SignedTreeHead.from_json(latest.signed_json)
        print(f"reusing the stored tree and the head over {signed.head.size:,} entries of an earlier run", flush=True)
    else:
        if args.fresh or committed_size() != args.entries:
            write_log(args.entries)
        else:
            print(f"reusing the {args.entries:,} entries already written")
            PublishedTreeHead.objects.all().delete()
            AuditTreeTile.objects.all().delete()
        t0 = time.perf_counter()
        signed = publish().signed
        print(f"first publish over {signed.head.size:,} entries, building the stored tree from every leaf hash: "
              f"{time.perf_counter() - t0:.1f} s ({AuditTreeTile.objects.count():,} tiles)", flush=True)

    rng = random.Random(7)
    root, size = signed.head.root_hash, signed.head.size
    queries = 0
    for index in (0, size // 2, size - 1):  # counted apart: capturing queries costs time of its own
        with CaptureQueriesContext(connection) as captured:
            prove(index)
        queries = max(queries, len(captured))
    samples = []
    cpu = time.process_time()
    for n in range(args.proofs):
        index = size - 1 if n == 0 else rng.randrange(size)
        t1 = time.perf_counter()
        found = prove(index)
        samples.append(time.perf_counter() - t1)
        proof = InclusionProof.from_dict(found["proof"])
        assert proof.verify(root) and proof.leaf_hash == leaf_hash(found["entry"].encode())
    cpu = (time.process_time() - cpu) / args.proofs
    samples.sort()
    print(f"inclusion proof at {size:,} entries, {args.proofs} random entries, each checked: "
          f"p50 {percentile(samples, 0.5) * 1e3:.2f} ms, p99 {percentile(samples, 0.99) * 1e3:.2f} ms, "
          f"max {samples[-1] * 1e3:.2f} ms; at most {queries} queries a proof; this process's CPU "
          f"{cpu * 1e3:.2f} ms a proof (checking it included)", flush=True)

    print(f"load average after the proofs: {os.getloadavg()[0]:.1f}", flush=True)
    if not args.proofs_only:
        append_many([AuditFacts(
            actor_id="staff-1", actor_role="practitioner", organisation="Exampleshire County Council",
            purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id="P1", data_categories=(DataCategory.HEALTH,),
            action=AuditEvent.RECORD_VIEWED, decision=Verdict.ALLOW) for _ in range(1_000)])
        t0 = time.perf_counter()
        again = publish().signed
        print(f"publish after 1,000 more entries (extends the stored tree by those only): "
              f"{time.perf_counter() - t0:.2f} s, head {again.head.size:,}")
    print(f"load average after: {os.getloadavg()[0]:.1f}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
