"""The portal under load: 50 simulated parents against gunicorn on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_portal_bench \\
        .venv/bin/python bench/portal/load.py --families 100000
    DATABASE_URL=... .venv/bin/python bench/portal/run.py --users 50 --seconds 120

Needs locust (``pip install -e ".[bench]"``). Serves with ``famlink serve``
(gunicorn) on a loopback port, runs locust headless for a bounded time, and
prints p50/p95/p99 and failures per page from locust's own statistics.
Parents start signed in (sessions made directly), because sign-in is
deliberately slow (argon2) and 50 at once is a start-up burst, not the steady
state the page figures describe; ``--mix sign-in`` measures that burst.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server at {url} did not answer within {seconds:.0f} s")


def signed_in_sessions(accounts: Path, users: int) -> Path:
    """One signed-in session per simulated parent, made directly (no argon2 burst at start).

    Sign-in itself is measured by the ``--mix sign-in`` run, not mixed into
    the steady-state page figures.
    """
    import django
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    django.setup()
    names = [a["username"] for a in json.loads(accounts.read_text())][:users]
    cookies = []
    for user in get_user_model().objects.filter(username__in=names):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key})
    path = accounts.with_name("bench-sessions.json")
    path.write_text(json.dumps(cookies))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--think", default="0.5,2",
                        help="seconds each parent waits between pages, as LOW,HIGH (0.5,2 is a stress test; "
                             "5,15 is a parent reading each page)")
    parser.add_argument("--mix", choices=("all", "data", "export", "sign-in"), default="all",
                        help="data: records and access-log pages only; export: the downloads only; "
                             "sign-in: every parent signs in through the form (argon2) at once")
    args = parser.parse_args()
    from famlink import config

    accounts = config.data_dir() / "bench-accounts.json"
    if not accounts.exists():
        sys.exit("run bench/portal/load.py first")
    host = f"http://127.0.0.1:{args.port}"
    sessions = signed_in_sessions(accounts, args.users) if args.mix != "sign-in" else None
    server = subprocess.Popen([sys.executable, "-m", "famlink", "serve", "--port", str(args.port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL)
    try:
        wait_for(f"{host}/sign-in/")
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "locust"
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
                 "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.seconds}s",
                 "--host", host, "--csv", str(prefix), "--loglevel", "WARNING",
                 *([] if args.mix in ("all", "sign-in") else ["--tags", args.mix])],
                env={**os.environ, "FAMLINK_BENCH_ACCOUNTS": str(accounts), "FAMLINK_BENCH_THINK": args.think,
                     "FAMLINK_BENCH_SESSIONS": str(sessions or "")}, check=False)
            rows = list(csv.DictReader((prefix.parent / "locust_stats.csv").open()))
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = []
    for row in rows:
        out.append({"name": row["Name"], "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"] or 0), "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0), "rps": round(float(row["Requests/s"]), 1)})
        print(f"{row['Name']:<32} {int(row['Request Count']):>7,} req  {int(row['Failure Count']):>4} failed  "
              f"p50 {row['50%']:>6} ms  p95 {row['95%']:>6} ms  p99 {row['99%']:>6} ms")
    print(json.dumps({"users": args.users, "seconds": args.seconds, "workers": args.workers, "mix": args.mix,
                      "think_seconds": args.think,
                      "load_average": os.getloadavg(), "pages": out}))


if __name__ == "__main__":
    main()
