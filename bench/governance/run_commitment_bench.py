"""What committing a linkage run to the audit log adds to the run: 1,000,000 records, about 300,000 persons.

Run (its own database, created if missing; SQLite by default):
  FAMLINK_DATA_DIR=/tmp/famlink_bench DATABASE_URL=sqlite:////tmp/famlink_bench/bench.sqlite3 \\
    .venv/bin/python bench/governance/run_commitment_bench.py --records 1000000
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_run_commitment_bench \\
    .venv/bin/python bench/governance/run_commitment_bench.py --records 1000000

Inside one transaction that is rolled back at the end (so the database is left
as it was, and the records the assignments name need not exist): a run, its
persons (1 to 6 records each, 3.3 on average, from 7 services) and its
assignments are written as ``famlink link`` writes them, untimed; then
``commit_run`` (what every run calls: leaves built, hashed into the run's tree,
the one ``linkage:run`` entry appended, the leaves COPYed in) is timed, with
10% of persons given a consent outcome keeping one service apart. Last, the
proof side: reading one person's leaf and the run's leaf hashes and rebuilding
the run's tree for a proof (``run_log.leaf_in_tree`` + ``tree_from_hashes``), and
checking every stored leaf against the entry's root (``famlink audit verify-runs``).
Target: seconds, not minutes, against a 1M-record run of about 5 minutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("FAMLINK_DATA_DIR", tempfile.mkdtemp(prefix="famlink-run-commitment-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{os.environ['FAMLINK_DATA_DIR']}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")

from bench.database import ensure_database

SERVICES = ("gp_registrations", "hospital_appointments", "school_census", "childrens_social_care",
            "police_incidents", "housing", "welfare_benefits")


class RolledBack(Exception):
    """Raised to leave the transaction, and the database, as they were."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from famlink.adapters.storage.bulk import insert_rows
    from famlink.adapters.storage.family.models import Person, new_person_id
    from famlink.adapters.storage.linkage import run_log
    from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
    from famlink.core.audit.runs import ConsentOutcome, tree_from_hashes
    from famlink.services.linkage.run_log import commit_run

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; {os.cpu_count()} CPUs; load average before: "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    rng = np.random.default_rng(args.seed)
    sizes = rng.integers(1, 7, size=args.records)  # 1..6 records a person, 3.5 on average
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), args.records)) + 1]
    persons = len(sizes)
    owner = np.repeat(np.arange(persons), sizes)[: args.records]
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            now = timezone.now()
            run = LinkageRun.objects.create(started_at=now, engine="bench", model_version="bench")
            newer_than = Person.objects.aggregate(last=Max("id"))["last"] or 0
            public_ids = [new_person_id() for _ in range(persons)]
            at = connection.ops.adapt_datetimefield_value(now)
            insert_rows(Person, ("public_id", "status", "display_name", "created_at"),
                        ((p, "active", "", at) for p in public_ids))
            pk_of = dict(Person.objects.filter(id__gt=newer_than).values_list("public_id", "id"))
            pks = np.array([pk_of[p] for p in public_ids], dtype="int64")
            assigned = pd.DataFrame({"record_id": np.arange(1, args.records + 1, dtype="int64"),
                                     "person_id": pks[owner]})
            records = pd.DataFrame({"id": assigned["record_id"],
                                    "source": np.array(SERVICES, dtype=object)[rng.integers(0, 7, args.records)]})
            insert_rows(RecordAssignment, ("run", "record", "person", "match_probability"),
                        zip([run.pk] * args.records, assigned["record_id"].tolist(), assigned["person_id"].tolist(),
                            [0.99] * args.records, strict=True))
            print(f"setup (untimed): {args.records:,} assignments to {persons:,} persons written in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)

            outcomes = {p: ConsentOutcome(p, False, ("consent_refused",), ("police_incidents",))
                        for p in public_ids[::10]}
            load = os.getloadavg()[0]
            cpu, t1 = time.process_time(), time.perf_counter()
            summary = commit_run(run, assigned, records, outcomes)
            wall, cpu = time.perf_counter() - t1, time.process_time() - cpu
            print(f"commit_run: {summary['persons']:,} leaves, root {summary['root'][:16]}..., "
                  f"entry {summary['audit_index']}: {wall:.2f} s wall, {cpu:.2f} s CPU in this process "
                  f"(leaves {summary['timings']['leaves_s']} s: grouping {summary['timings']['grouped_s']} s, "
                  f"public ids {summary['timings']['ids_s']} s; tree {summary['timings']['tree_s']} s, "
                  f"entry and COPY {summary['timings']['store_s']} s); load average {load:.1f}", flush=True)

            t2 = time.perf_counter()
            found = run_log.leaf_in_tree(run.pk, public_ids[persons // 2])
            tree = tree_from_hashes(found.hashes)
            assert tree.root() == found.root and tree.leaf(found.position)
            print(f"one person's proof, run side (leaf, {len(found.hashes) / 1e6:.1f} MB of leaf hashes, tree "
                  f"rebuilt): {time.perf_counter() - t2:.2f} s", flush=True)
            t3 = time.perf_counter()
            from famlink.services.governance.audit.run_checks import verify_runs
            checked = verify_runs(run.pk)
            assert checked[0].ok, checked[0].problem
            print(f"famlink audit verify-runs for this run (every leaf read and checked): "
                  f"{time.perf_counter() - t3:.2f} s", flush=True)
            raise RolledBack
    except RolledBack:
        pass
    print(f"load average after: {os.getloadavg()[0]:.1f}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
