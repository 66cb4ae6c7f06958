"""Download everything for a large family: how long the PDF (and the JSON and CSV) take.

A parent with 4 children under their parental responsibility, 60 records
each (300 in all, from three organisations, with a dispute, a statement, a
correction-free history, links and a flag) and 500 staff looks in the access
log. Each timing is the whole download as the view runs it
(``famlink.services.rights.export.export``): every person read
through the policy door, the file built, the subject access request logged.

Run (uses its own database, created and migrated if missing; SQLite in a
temporary folder unless DATABASE_URL is set):
  .venv/bin/python bench/portal/export_bench.py --repeat 5
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_portal_bench \
    .venv/bin/python bench/portal/export_bench.py --repeat 5
Target: the PDF in under 2 s for a large family.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
_TMP = tempfile.mkdtemp(prefix="famlink-portal-bench-")
os.environ.setdefault("FAMLINK_DATA_DIR", _TMP)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")

from bench.database import ensure_database  # noqa: E402


def renderer_cpu() -> float:
    """CPU seconds used so far by this process's PDF renderer (a child process, see famlink/adapters/pdf.py)."""
    from famlink.adapters import pdf

    ticks = 0
    for child in pdf._pool()._processes or {}:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=4)
    parser.add_argument("--records", type=int, default=60, help="records per person (parent and each child)")
    parser.add_argument("--looks", type=int, default=500, help="staff looks in the access log")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    print("load average before (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from famlink.adapters.storage.governance.actors import actor_for
    from famlink.services.rights import export
    from famlink.services.rights.disclosure import disclose
    from tests.common.export_family import linked_family

    started = time.perf_counter()
    fam = linked_family(f"Bench{int(time.time())}", children=args.children, records_per_person=args.records,
                        staff_looks=args.looks)
    print(f"family built in {time.perf_counter() - started:.1f} s: {len(fam.people)} people, "
          f"{len(fam.records)} records, {args.looks} staff looks")
    actor = actor_for(fam.user)
    export.export(actor, fam.user, fam.parent, "pdf")  # warm: templates, fonts, imports
    shown = disclose(actor, fam.parent)
    print(f"disclosed: {sum(len(p.records) for p in shown.people)} records, {len(shown.access_log)} access-log rows")
    for fmt in ("pdf", "json", "csv"):
        times, cpu, size = [], [], 0
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time() + renderer_cpu()
            made = export.export(actor, fam.user, fam.parent, fmt)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() + renderer_cpu() - c0)
            size = len(made.content)
        t0 = time.perf_counter()
        disclose(actor, fam.parent)
        read = time.perf_counter() - t0
        print(f"{fmt}: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.repeat} "
              f"(CPU median {statistics.median(cpu):.2f} s, the renderer's included; read through the door alone {read:.2f} s), "
              f"{size / 1024:.0f} KiB")
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()), "| cpus:", os.cpu_count())


if __name__ == "__main__":
    main()
