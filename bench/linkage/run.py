"""End-to-end linkage (train + predict + cluster + store) at growing sizes.

    .venv/bin/python bench/linkage/run.py --families 290 2870 [28700] [--postgres URL] [--max-rss-gb 12]
        [--engine duckdb|spark]

``--engine spark`` runs Splink on Spark (FAMLINK_SPARK_MASTER, default
``local[2]``; FAMLINK_SPARK_DRIVER_MEMORY); peak memory then counts the JVM,
a child of the link process.

For each size: ``famlink synth`` (seed 11, cached under --work), a fresh
database, every source ingested (not timed here: see bench/ingest), then
``famlink link --retrain --json`` in its own process, timed, with that
process's peak resident memory (``wait4``) and a watchdog that kills it above
``--max-rss-gb``; finally ``famlink linkage evaluate --json`` against the
truth file. About 35 records per family: 290 families ~ 10k records, 2,870 ~
100k, 28,700 ~ 1M.

"Splink" below is Splink's own work (train + predict, from the engine's
timings); "overhead" is what famlink adds around it on the same data: the
governance (consent) filter, reading the records and collapsing identical
identities, the family guards and evidence, clustering with rejections,
and storing assignments, links, events and households.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[2]
FAMLINK = [sys.executable, "-m", "famlink"]


def synth(families: int, work: Path) -> Path:
    out = work / f"synth-{families}"
    if not (out / "truth.csv").exists():
        subprocess.run([*FAMLINK, "synth", "--families", str(families), "--seed", "11", "--out", str(out)],
                       check=True, capture_output=True)
    return out


def fresh_database(name: str, data_dir: Path, postgres: str | None) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    if postgres is None:
        db = data_dir / "famlink.sqlite3"
        db.unlink(missing_ok=True)
        return f"sqlite:///{db}"
    database = postgres.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return postgres


def watched(command: list[str], env: dict[str, str], max_rss: float) -> tuple[str, float, float]:
    """Run ``command``; return stdout, wall seconds and peak RSS in GiB; kill it above ``max_rss``."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    killed = threading.Event()

    def watch() -> None:
        try:
            ps = psutil.Process(proc.pid)
            while proc.poll() is None:
                rss = sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)])
                peak[0] = max(peak[0], rss)
                if rss > max_rss:
                    killed.set()
                    proc.kill()
                time.sleep(0.5)
        except psutil.Error:
            pass

    threading.Thread(target=watch, daemon=True).start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if killed.is_set():
        raise SystemExit(f"{' '.join(command[2:4])} killed above {max_rss / 2**30:.1f} GiB RSS")
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return stdout, seconds, peak[0] / 2**30


def run(families: int, work: Path, postgres: str | None, max_rss: float, engine: str) -> dict[str, Any]:
    data = synth(families, work)
    data_dir = work / f"data-{families}-{'pg' if postgres else 'sqlite'}"
    env = {**os.environ, "FAMLINK_DATA_DIR": str(data_dir),
           "DATABASE_URL": fresh_database(str(families), data_dir, postgres)}
    for model in (data_dir / "linkage" / "models").glob("model-*.json"):
        model.unlink()
    for source in sorted((data / "sources").glob("*.toml")):
        subprocess.run([*FAMLINK, "ingest", "--source", str(source), str(data / "extracts" / f"{source.stem}.csv"),
                        "--json"], env=env, check=True, capture_output=True)
    out, wall, peak = watched([*FAMLINK, "link", "--retrain", "--json", "--engine", engine], env, max_rss)
    summary = json.loads(out)
    quality = json.loads(subprocess.run(
        [*FAMLINK, "linkage", "evaluate", "--truth", str(data / "truth.csv"), "--json"],
        env=env, check=True, capture_output=True, text=True).stdout)
    t, c = summary["timings"], summary["counts"]
    splink = t.get("splink_train_s", 0) + t.get("splink_predict_s", 0)
    overhead = t["total_s"] - splink
    return {
        "engine": engine, "families": families, "records": c["records"], "identities": c["identities"],
        "pairs_scored": c["pairs_scored"], "links": c["links_accepted"], "persons": c["persons"],
        "wall_s": round(wall, 1), "link_s": t["total_s"], "splink_s": round(splink, 1),
        "overhead_s": round(overhead, 1), "overhead_pct": round(100 * overhead / splink, 1) if splink else None,
        "filter_s": t.get("filter_s"), "store_s": t.get("store_s"), "links_s": t.get("links_s"),
        "households_s": t.get("households_s"),
        "filter_and_links_pct": round(100 * (t.get("filter_s", 0) + t.get("links_s", 0)) / splink, 1) if splink else None,
        # the target: filter plus all storage (links, assignments, persons, events, households) < 20%
        "filter_and_storage_pct": round(100 * (t.get("filter_s", 0) + t.get("store_s", 0)) / splink, 1) if splink else None,
        "timings": t, "peak_rss_gib": round(peak, 2),
        "precision": round(quality["pairwise"]["precision"], 4), "recall": round(quality["pairwise"]["recall"], 4),
        "f1": round(quality["pairwise"]["f1"], 4), "bcubed_f1": round(quality["bcubed"]["f1"], 4),
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, nargs="+", default=[290, 2870])
    parser.add_argument("--postgres", default=None, help="e.g. postgresql://postgres@127.0.0.1:5432/famlink_bench")
    parser.add_argument("--work", type=Path, default=Path("/tmp/famlink-bench-linkage"))
    parser.add_argument("--max-rss-gb", type=float, default=12.0)
    parser.add_argument("--engine", default="duckdb")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for families in args.families:
        result = run(families, args.work, args.postgres, args.max_rss_gb * 2**30, args.engine)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
