"""The practitioner workspace under load: 50 practitioners and API clients against gunicorn on PostgreSQL.

    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_workspace_bench FAMLINK_DATA_DIR=/tmp/benchload
    .venv/bin/python bench/portal/load.py --families 100000 --accounts 200   # once
    .venv/bin/python bench/workspace/setup.py                                # practitioners, caseloads, openings
    .venv/bin/python bench/workspace/run.py --practitioners 50 --api-clients 10 --seconds 120 --think 5,15

Needs locust (``pip install -e ".[bench]"``). Serves with ``famlink serve``
(gunicorn) on a loopback port, runs locust headless for a bounded time and
prints p50/p95/p99 and failures per page (family view, chronology, API
chronology) from locust's own statistics, then a JSON summary with the load
average and the share of chronology lines and members shown and held back
(counted once, after the run, from the same services the pages call).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from bench.portal.run import wait_for  # noqa: E402  (one way to wait for the server)


def shown_and_held_back(setup: dict[str, Any], sample: int) -> dict[str, Any]:
    """What the pages show: members and chronology lines shown vs held back, over ``sample`` caseload families."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from famlink.adapters.storage.governance.actors import actor_for
    from famlink.core.taxonomy import Purpose
    from famlink.services.workspace import chronology, family

    purpose = Purpose.DIRECT_SERVICE_DELIVERY
    counts = {"families": 0, "members shown": 0, "members held back": 0, "chronology lines": 0,
              "chronology held back (member or source)": 0}
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=[p["username"] for p in setup["practitioners"]])}
    pairs = [(p["username"], f) for p in setup["practitioners"] for f in p["families"]][:: max(1, sum(
        len(p["families"]) for p in setup["practitioners"]) // sample)][:sample]
    for username, person in pairs:
        actor = actor_for(users[username])
        view = family.family_view(actor, person, purpose, case_reference="BENCH/COUNT").as_dict()
        counts["families"] += 1
        counts["members shown"] += sum(1 for m in view["members"] if m["shown"])
        counts["members held back"] += sum(1 for m in view["members"] if not m["shown"])
        lines = chronology.chronology(actor, person, purpose, case_reference="BENCH/COUNT").as_dict()
        counts["chronology lines"] += len(lines["lines"])
        counts["chronology held back (member or source)"] += len(lines["held_back"])
    return counts


def load_average(samples: list[tuple[float, float, float]], stop: threading.Event) -> None:
    while not stop.wait(5):
        samples.append(os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practitioners", type=int, default=50)
    parser.add_argument("--api-clients", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--think", default="5,15",
                        help="seconds between pages, as LOW,HIGH (5,15 is a practitioner reading; 0.5,2 a stress test)")
    parser.add_argument("--mix", choices=("all", "pages", "api"), default="all")
    parser.add_argument("--count-sample", type=int, default=100,
                        help="caseload families read once after the run to count what was shown and held back")
    args = parser.parse_args()
    from famlink import config

    setup_file = config.data_dir() / "bench-workspace.json"
    if not setup_file.exists():
        sys.exit("run bench/workspace/setup.py first")
    setup = json.loads(setup_file.read_text())
    host = f"http://127.0.0.1:{args.port}"
    users = {"all": args.practitioners + args.api_clients, "pages": args.practitioners, "api": args.api_clients}[args.mix]
    server = subprocess.Popen([sys.executable, "-m", "famlink", "serve", "--port", str(args.port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL)
    samples: list[tuple[float, float, float]] = []
    stop = threading.Event()
    try:
        wait_for(f"{host}/sign-in/")
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "locust"
            watcher = threading.Thread(target=load_average, args=(samples, stop), daemon=True)
            watcher.start()
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
                 "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{args.seconds}s",
                 "--host", host, "--csv", str(prefix), "--loglevel", "WARNING",
                 *([] if args.mix == "all" else ["--tags", args.mix])],
                env={**os.environ, "FAMLINK_BENCH_WORKSPACE": str(setup_file), "FAMLINK_BENCH_THINK": args.think,
                     "FAMLINK_BENCH_SHOWN": str(Path(tmp) / "shown.json"),
                     # a fixed count of each kind: locust shares users out by weight
                     "FAMLINK_BENCH_PRACTITIONER_WEIGHT": str(args.practitioners if args.mix != "api" else 0),
                     "FAMLINK_BENCH_API_WEIGHT": str(args.api_clients if args.mix != "pages" else 0)},
                check=False)
            stop.set()
            rows = list(csv.DictReader((prefix.parent / "locust_stats.csv").open()))
            shown_file = Path(tmp) / "shown.json"
            api_counts = json.loads(shown_file.read_text()) if shown_file.exists() else {}
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
    out = []
    for row in rows:
        out.append({"name": row["Name"], "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"] or 0), "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0), "rps": round(float(row["Requests/s"]), 1)})
        print(f"{row['Name']:<20} {int(row['Request Count']):>7,} req  {int(row['Failure Count']):>4} failed  "
              f"p50 {row['50%']:>6} ms  p95 {row['95%']:>6} ms  p99 {row['99%']:>6} ms  {float(row['Requests/s']):.1f}/s")
    counts = shown_and_held_back(setup, args.count_sample) if args.count_sample else {}
    peak = max((s[0] for s in samples), default=0.0)
    print(json.dumps({"practitioners": args.practitioners if args.mix != "api" else 0,
                      "api_clients": args.api_clients if args.mix != "pages" else 0, "seconds": args.seconds,
                      "workers": args.workers, "mix": args.mix, "think_seconds": args.think,
                      "load_average_end": os.getloadavg(), "load_average_1min_peak": peak,
                      "setup": {"consents": setup.get("consents"), "openings": setup.get("openings")},
                      "api_answers": api_counts, "shown_and_held_back": counts, "pages": out}))


if __name__ == "__main__":
    main()
