"""Ingest throughput and peak memory, on SQLite and PostgreSQL.

    .venv/bin/python bench/ingest/run.py --rows 250000 500000 1000000 [--postgres URL]

Each run ingests a generated GP extract in a fresh subprocess with a fresh
database and reports rows per second and the subprocess's peak resident
memory, so that flat memory as the file grows shows up in the table.

To compare two versions of the code on one file (alternate them: this VM's
speed varies), run each from its own checkout:

    PYTHONPATH=CHECKOUT .venv/bin/python CHECKOUT/bench/ingest/run.py --one FILE sqlite:///DIR/b.sqlite3 DIR

which prints one JSON line, with the CPU per row of the command and its row
worker (``cpu_us_per_row``): steadier than rows/s when other work is running.

``--next-month`` also measures the extract an agency sends a month later into
the database that holds the first: 90% of its rows repeated (1 in 100 of them
changed) and 10% new, as a cumulative extract is (see docs/sources.md, extracts
sent again). ``--one FILE URL DIR FIRST`` ingests FIRST, then times FILE.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFINITION = REPO / "tests" / "fixtures" / "gp_appointments.toml"


def write_extract(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    outcomes = ["ATT", "DNA", "CANC"]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ref", "forename", "surname", "dob", "nhs", "outcome"])
        for i in range(rows):
            writer.writerow([f"A{i}", rng.choice(["Amy", "Ben", "Cara", "Dev"]), rng.choice(["Smith", "Khan", "Jones"]),
                             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2000, 2020)}", "", rng.choice(outcomes)])


def write_next_month(extract: Path, path: Path) -> None:
    """The next cumulative extract: the last 90% of the rows again, 1 in 100 of them changed, and 10% new."""
    with extract.open(newline="") as fh:
        header, *rows = list(csv.reader(fh))
    again = rows[len(rows) // 10:]
    for row in again[::100]:
        row[5] = "CANC" if row[5] != "CANC" else "ATT"
    extra = path.with_suffix(".new.csv")
    write_extract(extra, len(rows) // 10)
    with extra.open(newline="") as fh:
        new = [[f"N{row[0]}", *row[1:]] for row in list(csv.reader(fh))[1:]]
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *again, *new])


def run_one(extract: Path, database_url: str, data_dir: Path, first: Path | None = None) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": database_url, "FAMLINK_DATA_DIR": str(data_dir)}
    famlink = [sys.executable, "-m", "famlink"]
    subprocess.run([*famlink, "status", "--json"], env=env, check=True, capture_output=True)  # migrate first
    if first is not None:  # the database already holds last month's extract
        subprocess.run([*famlink, "ingest", "--source", str(DEFINITION), str(first)], env=env, check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([*famlink, "ingest", "--source", str(DEFINITION), str(extract), "--json"], env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(out.stdout)
    assert report["rows_in"] == report["accepted"] + report["quarantined"]
    # CPU of the command and its row worker (not the database server's): steadier than rows/s on a busy machine
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"rows": report["rows_in"], "seconds": seconds, "rows_per_second": report["rows_in"] / seconds,
            "ingest_rows_per_second": report["rows_per_second"], "peak_mib": after.ru_maxrss / 1024,
            "cpu_us_per_row": cpu / report["rows_in"] * 1e6, "repeated": report.get("repeated", 0), "updated": report.get("updated", 0)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/famlink_bench")
    parser.add_argument("--next-month", action="store_true", help="also time next month's cumulative extract")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            extract = Path(tmp) / f"gp_{rows}.csv"
            write_extract(extract, rows)
            runs = [("", [str(extract)])]
            if args.next_month:
                next_month = Path(tmp) / f"gp_{rows}_next.csv"
                write_next_month(extract, next_month)
                runs.append((" next month", [str(next_month), "FIRST"]))
            for name in ("sqlite", "postgresql"):
                for label, files in runs:
                    data_dir = Path(tmp) / f"{name}_{rows}{label.replace(' ', '_')}"
                    data_dir.mkdir()
                    if name == "sqlite":
                        url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
                    else:
                        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS famlink_bench"], check=True)
                        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "CREATE DATABASE famlink_bench"], check=True)
                        url = args.postgres
                    one = [files[0], url, str(data_dir)] + ([str(extract)] if len(files) > 1 else [])
                    # ru_maxrss of children is the max over all children so far: run each measurement in its own process
                    result = json.loads(subprocess.run([sys.executable, __file__, "--one", *one], check=True, capture_output=True, text=True).stdout)
                    print(f"{name + label:<22} {rows:>9,} rows  {result['rows_per_second']:>9,.0f} rows/s end to end  "
                          f"{result['ingest_rows_per_second']:>9,.0f} rows/s ingest  peak {result['peak_mib']:,.0f} MiB", flush=True)


if __name__ == "__main__":
    if len(sys.argv) in (5, 6) and sys.argv[1] == "--one":
        print(json.dumps(run_one(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]) if len(sys.argv) == 6 else None)))
    else:
        main()
