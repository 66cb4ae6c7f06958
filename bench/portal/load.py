"""Load N synthetic families into a database for the portal benchmark.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_portal_bench \\
        .venv/bin/python bench/portal/load.py --families 100000 --accounts 200

Runs the real ``famlink synth`` and ``famlink ingest`` (so records, sources
and extracts are exactly what a council would hold), then stands in the
ground truth for linkage: one complete ``LinkageRun`` assigning each record
to its true person, households from the truth file, and parental
responsibility from each adult of a household to each child in it. That is
the one shortcut: linking millions of records is measured in bench/linkage,
not here. Finally it creates ``--accounts`` verified parent accounts (each a
parent of at least one child) and writes their sign-ins to
``$FAMLINK_DATA_DIR/bench-accounts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402

FAMLINK = [sys.executable, "-m", "famlink"]
PASSWORD = "bench-portal-password-1"  # a local benchmark database only


def run(*args: str) -> None:
    subprocess.run([*FAMLINK, *args], check=True, stdout=subprocess.DEVNULL)


def synth_and_ingest(families: int, out: Path) -> None:
    if not (out / "truth.csv").exists():
        started = time.perf_counter()
        run("synth", "--families", str(families), "--seed", "17", "--out", str(out))
        print(f"synth: {time.perf_counter() - started:,.0f} s", flush=True)
    started = time.perf_counter()
    for definition in sorted((out / "sources").glob("*.toml")):
        run("ingest", "--source", str(definition), str(out / "extracts" / f"{definition.stem}.csv"))
    print(f"ingest: {time.perf_counter() - started:,.0f} s", flush=True)


SQL = [
    """CREATE TEMP TABLE bench_truth (source text, record_key text, person_id text, household_id text,
                                      wrong_person int, true_status text)""",
    None,  # COPY truth.csv
    """CREATE TEMP TABLE bench_tr AS
       SELECT r.id AS record_id, 'B' || t.person_id AS person, 'B' || t.household_id AS household,
              r.first_name, r.surname, r.date_of_birth, r.address, r.postcode
       FROM bench_truth t JOIN sources_source s ON s.name = t.source
       JOIN sources_sourcerecord r ON r.source_id = s.id AND r.local_id = t.record_key""",
    """INSERT INTO family_person (public_id, status, display_name, date_of_birth, created_at)
       SELECT person, 'active', max(first_name || ' ' || surname), max(date_of_birth), now()
       FROM bench_tr GROUP BY person""",
    """INSERT INTO linkage_recordassignment (run_id, record_id, person_id, match_probability)
       SELECT %(run)s, tr.record_id, p.id, 1.0 FROM bench_tr tr JOIN family_person p ON p.public_id = tr.person""",
    """INSERT INTO family_household (public_id, created_at) SELECT DISTINCT household, now() FROM bench_tr""",
    """INSERT INTO family_householdmembership (household_id, person_id, role, address, postcode)
       SELECT h.id, p.id,
              CASE WHEN p.date_of_birth IS NULL OR p.date_of_birth < now() - interval '18 years'
                   THEN 'adult' ELSE 'child' END,
              max(tr.address), max(tr.postcode)
       FROM bench_tr tr JOIN family_person p ON p.public_id = tr.person
       JOIN family_household h ON h.public_id = tr.household
       GROUP BY h.id, p.id, p.date_of_birth""",
    """INSERT INTO family_relationship (from_person_id, to_person_id, kind, parental_responsibility, evidence)
       SELECT DISTINCT a.person_id, c.person_id, 'parent_of', true, 'bench: same household in the ground truth'
       FROM family_householdmembership a JOIN family_householdmembership c
         ON a.household_id = c.household_id AND a.role = 'adult' AND c.role = 'child'""",
]


def link_from_truth(out: Path) -> None:
    import django
    from django.db import connection, transaction
    from django.utils import timezone

    django.setup()
    from famlink.adapters.storage.linkage.models import LinkageRun

    if LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).exists():
        print("linkage: already loaded", flush=True)
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        run_ = LinkageRun.objects.create(started_at=timezone.now(), engine="ground-truth (bench)",
                                         model_version="none", status=LinkageRun.Status.RUNNING)
        for statement in SQL:
            if statement is None:
                with (out / "truth.csv").open("rb") as fh, cursor.cursor.copy(
                        "COPY bench_truth FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
                continue
            cursor.execute(statement, {"run": run_.pk})
        run_.status, run_.finished_at = LinkageRun.Status.COMPLETE, timezone.now()
        run_.save()
    print(f"linkage from truth: {time.perf_counter() - started:,.0f} s", flush=True)


def accounts(count: int) -> Path:
    from famlink import config
    from famlink.adapters.storage.accounts.models import Account
    from famlink.adapters.storage.family.models import Person, Relationship
    from famlink.services.accounts.provisioning import create_parent

    path = config.data_dir() / "bench-accounts.json"
    made = [a.user.username for a in Account.objects.filter(user__username__startswith="bench-parent-")]
    if len(made) < count:
        parents = (Relationship.objects.filter(kind="parent_of").values_list("from_person_id", flat=True)
                   .distinct().order_by("from_person_id")[: count * 3])
        free = Person.objects.filter(pk__in=list(parents), parent_account__isnull=True)[: count - len(made)]
        for i, person in enumerate(free, start=len(made)):
            create_parent(f"bench-parent-{i}", person, password=PASSWORD)
            made.append(f"bench-parent-{i}")
    path.write_text(json.dumps([{"username": u, "password": PASSWORD} for u in made]))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (the portal benchmark is for production)")
    from famlink import config

    out = config.data_dir() / f"bench-synth-{args.families}"
    ensure_database(os.environ["DATABASE_URL"])
    run("status")  # migrate
    synth_and_ingest(args.families, out)
    link_from_truth(out)
    print(f"accounts: {accounts(args.accounts)}", flush=True)
    analyse()


def analyse() -> None:
    """Planner statistics after the bulk load: with autovacuum off nothing else makes them, and without them
    PostgreSQL scanned every household membership for one family (docs/performance.md, bench/workspace)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print("analysed", flush=True)


if __name__ == "__main__":
    main()
