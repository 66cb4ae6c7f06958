"""Audit log on PostgreSQL: sustained appends/s from concurrent writers, verify over 1M entries, proof time.

Run (uses its own database, created if missing, and wipes its audit tables):
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/famlink_gov_bench \
    .venv/bin/python bench/governance/audit_append_bench.py --writers 8 --seconds 10 --entries 1000000
Writers are processes by default (``--threads`` for threads in one process); each
commits one transaction per entry, as a request through the policy door does.
For the audit run each writer process starts the audit sequencer thread, as a
web worker does at start-up (``famlink/wsgi.py``), and stops it when its time is
up (its last turn places what is left, inside the measured time);
``--no-sequencer`` measures requests that sequence themselves instead (commands,
or a process whose sequencer died). The baseline run starts no sequencer.
Unless ``--no-writer``, the audit run also starts the audit writer in its own
process, as ``famlink serve`` does: the entries of reads are then committed by
it, many to a commit, and each writer's own transaction holds only its read.
``--entries 0`` measures the concurrent appends only.
Targets: >= 2,000 appends/s from concurrent writers; verify 1M < 60 s; a proof < 10 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
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
os.environ.setdefault("FAMLINK_AUDIT_WRITER_SOCKET", os.path.join(tempfile.mkdtemp(prefix="famlink-w-"), "audit.sock"))

from bench.database import ensure_database

if TYPE_CHECKING:
    from famlink.core.audit import AuditFacts




def facts(i: int) -> AuditFacts:
    from famlink.core.audit import AuditEvent, AuditFacts, Verdict
    from famlink.core.taxonomy import DataCategory, Purpose

    return AuditFacts(
        actor_id=f"staff-{i % 997}", actor_role="practitioner", organisation="Exampleshire County Council",
        purpose=Purpose.DIRECT_SERVICE_DELIVERY, subject_id=f"P{i % 250_000:012X}",
        data_categories=(DataCategory.HEALTH, DataCategory.IDENTITY), action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW, reasons=("consent_sufficient",))


BASELINE_TABLE = "bench_plain_append"
GATHER = 0.05  # the sequencer's default (famlink.adapters.storage.governance.audit.sequencer.GATHER)
BASELINE_WITH_COMMIT = False


def write_until(stop: float, baseline: bool = False, sequencer: bool = False) -> int:
    """One writer: one access (a read, then its entry) after another, until ``stop``.

    The audit run does what ``door.open`` does for a read: the read, outside
    a transaction, then ``append``, which returns once the entry is
    durable (sent to the audit writer if one listens, else written in its own
    transaction). ``baseline`` writes the same entry bytes with one plain
    INSERT in the read's transaction and nothing else: one durable commit per
    access, the most the earlier design (the entry committed with its read)
    could reach on this machine at this moment, with the INSERT sent on its
    own as ordinary Django code does (``--baseline-with-commit``: sent with
    the COMMIT).
    """
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from famlink.adapters.storage.governance.audit.append import append
    from famlink.adapters.storage.governance.audit.sequencer import start_sequencer, stop_sequencer
    from famlink.core.audit import utc_timestamp

    if sequencer:
        start_sequencer(gather=GATHER)
    i = 0
    while time.time() < stop:
        if baseline:
            with transaction.atomic(), connection.cursor() as cursor:  # one transaction per entry
                cursor.execute("SELECT 1")  # stands for the access's read
                moment = utc_timestamp(timezone.now())
                entry = facts(i).entry(index=0, occurred_at=moment)
                sql, params = f"INSERT INTO {BASELINE_TABLE} (facts) VALUES (%s)", [entry.pending_bytes()]
                if BASELINE_WITH_COMMIT:
                    connection.send_with_commit(sql, params)  # type: ignore[attr-defined]
                else:
                    cursor.execute(sql, params)
        else:  # a read through the policy door (door.open): the read, then its entry, durable before it returns
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # stands for the access's read
            append(facts(i))
        i += 1
    if sequencer:
        stop_sequencer()  # its last turn places what this writer left pending
    connections.close_all()
    return i


def _process_writer(start: float, stop: float, baseline: bool, sequencer: bool,
                    out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    time.sleep(max(0.0, start - time.time()))
    out.put(write_until(stop, baseline, sequencer))


class CpuMeter:
    """CPU used during a run by the writers (this process's children, or this process) and by the
    PostgreSQL backends serving this bench's database (sampled from /proc; Linux only, else 0).

    The shared machine's speed varies from minute to minute; CPU per entry varies much less.
    """

    def __init__(self, threads: bool) -> None:
        from django.conf import settings

        self.who = resource.RUSAGE_SELF if threads else resource.RUSAGE_CHILDREN
        self.marker = f" {settings.DATABASES['default']['NAME']} "
        self.backends: dict[int, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.done = threading.Event()
        self.audit_writer: float | None = None  # of the writers' CPU, the audit writer's (if it ran)

    def _find(self) -> None:
        """Note the backends serving this database (their process title names it)."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) not in self.backends:
                try:
                    title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if title.startswith("postgres: ") and self.marker in title:
                    self.backends[int(entry.name)] = 0.0

    def cpu_of(self, pid: int) -> float | None:
        """CPU seconds used so far by process ``pid`` (None once it is gone)."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.tick

    def _sample(self) -> None:
        for pid in self.backends:
            used = self.cpu_of(pid)
            if used is not None:  # gone: its last sample stands
                self.backends[pid] = used

    def _watch(self) -> None:
        if not Path("/proc/self/stat").exists():
            return
        rounds = 0
        while not self.done.wait(0.05):
            if rounds % 5 == 0:
                self._find()
            self._sample()
            rounds += 1

    def __enter__(self) -> CpuMeter:
        usage = resource.getrusage(self.who)
        self.writers = -(usage.ru_utime + usage.ru_stime)
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.watcher.join()
        usage = resource.getrusage(self.who)
        self.writers += usage.ru_utime + usage.ru_stime
        self.database = sum(self.backends.values())

    def per(self, count: int) -> str:
        writer = "" if self.audit_writer is None else f" (of which the audit writer {self.audit_writer / count * 1e6:,.0f} µs)"
        return (f"CPU per entry: writers {self.writers / count * 1e6:,.0f} µs{writer}, "
                f"PostgreSQL backends {self.database / count * 1e6:,.0f} µs")


def _audit_writer() -> None:
    """The audit writer's process (``famlink audit writer``), until SIGTERM."""
    from django.db import connections

    from famlink.adapters.storage.governance.audit import writer

    connections.close_all()  # never share the parent's connection
    writer.run()


def _start_audit_writer() -> multiprocessing.process.BaseProcess:
    from famlink import config

    process = multiprocessing.get_context("fork").Process(target=_audit_writer)
    process.start()
    deadline = time.time() + 30
    while not config.audit_writer_socket().exists():
        if time.time() > deadline or not process.is_alive():
            raise SystemExit("the audit writer did not start")
        time.sleep(0.05)
    return process


def concurrent_appends(writers: int, seconds: float, threads: bool, baseline: bool = False,
                       sequencer: bool = False, writer: bool = False) -> tuple[int, float, CpuMeter]:
    """Entries written by ``writers`` concurrent writers in ``seconds``, the time taken, and the CPU used
    (the audit writer's included: it is a child process, stopped and waited for before the meter stops)."""
    from django.db import connections

    from famlink.adapters.storage.governance.audit.sequencer import start_sequencer, stop_sequencer

    connections.close_all()
    meter = CpuMeter(threads).__enter__()
    audit_writer = _start_audit_writer() if writer else None
    start = time.time() + (0.5 if threads else 3.0)  # let every writer get ready first
    stop = start + seconds
    done: list[int] = []
    pool: list[Any]
    if threads:
        if sequencer:
            start_sequencer(gather=GATHER)  # one for the process, as in a threaded web worker
        pool = [threading.Thread(target=lambda: done.append(write_until(stop, baseline))) for _ in range(writers)]
    else:
        queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
        pool = [multiprocessing.get_context("fork").Process(target=_process_writer, args=(start, stop, baseline, sequencer, queue))
                for _ in range(writers)]
    for worker in pool:
        worker.start()
    if not threads:
        done = [queue.get() for _ in pool]
    for worker in pool:
        worker.join()
    if threads and sequencer:
        stop_sequencer()
    elapsed = max(time.time(), stop) - start
    if audit_writer is not None:
        meter.audit_writer = meter.cpu_of(audit_writer.pid or 0)
        audit_writer.terminate()
        audit_writer.join()
    meter.__exit__()
    return sum(done), elapsed, meter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--threads", action="store_true", help="writers are threads in this process, not processes")
    parser.add_argument("--no-sequencer", action="store_true",
                        help="no sequencer thread: each request sequences after its commit (as commands do)")
    parser.add_argument("--no-writer", action="store_true",
                        help="no audit writer: each request writes its entry in its own transaction")
    parser.add_argument("--gather", type=float, default=None, help="the sequencer's gathering time, seconds")
    parser.add_argument("--baseline-with-commit", action="store_true",
                        help="the baseline's INSERT goes with its COMMIT, one round trip (PostgreSQL)")
    args = parser.parse_args()
    global GATHER, BASELINE_WITH_COMMIT
    BASELINE_WITH_COMMIT = args.baseline_with_commit
    if args.gather is not None:
        GATHER = args.gather
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from famlink.adapters.storage.governance.audit.append import append_many
    from famlink.adapters.storage.governance.models import (
        AuditLogCounter,
        AuditLogEntry,
        AuditLogPending,
        AuditTreeTile,
        PublishedTreeHead,
    )
    from famlink.core.audit import InclusionProof
    from famlink.services.governance.audit.proofs import prove
    from famlink.services.governance.audit.publication import publish
    from famlink.services.governance.audit.verification import verify

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        for model in (AuditLogEntry, AuditLogPending, AuditLogCounter, PublishedTreeHead, AuditTreeTile):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")

    kind = "threads" if args.threads else "processes"
    how = "no sequencer thread" if args.no_sequencer else f"a sequencer thread per process (gather {GATHER * 1e3:.0f} ms)"
    how += "; no audit writer" if args.no_writer else "; the audit writer"
    print(f"database: {connection.vendor}; writers: {args.writers} {kind}; {how}; {args.seconds:.0f} s each run; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, facts bytea)"
                       if connection.vendor == "postgresql" else
                       f"CREATE TABLE {BASELINE_TABLE} (id integer PRIMARY KEY, facts blob)")
    plain, plain_elapsed, plain_cpu = concurrent_appends(args.writers, args.seconds, args.threads, baseline=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {BASELINE_TABLE}")
    sent = " sent with the COMMIT" if BASELINE_WITH_COMMIT else ""
    print(f"baseline, one plain INSERT{sent} per transaction, no log: {plain / plain_elapsed:,.0f} transactions/s "
          f"(load average after: {os.getloadavg()[0]:.1f}); {plain_cpu.per(plain)}")
    total, elapsed, cpu = concurrent_appends(args.writers, args.seconds, args.threads, sequencer=not args.no_sequencer,
                                             writer=not args.no_writer)
    left_pending = AuditLogPending.objects.count()  # before any reader sequences them
    indexes = list(AuditLogEntry.objects.order_by("index").values_list("index", flat=True))
    assert left_pending == 0, f"{left_pending} entries were left pending with every writer finished"
    assert indexes == list(range(total)), "gap or duplicate in the audit log"
    print(f"concurrent appends: {total:,} in {elapsed:.1f} s = {total / elapsed:,.0f} entries/s sustained "
          f"({total / elapsed / (plain / plain_elapsed):.0%} of the baseline; "
          f"load average after: {os.getloadavg()[0]:.1f}); left pending: {left_pending}; gap-free: yes")
    check = verify()
    assert check.ok and check.entries == total, check
    print(f"verify after the concurrent run: ok ({check.entries:,} entries); audit path {cpu.per(total)}")
    if args.entries <= total:
        return
    t0 = time.perf_counter()
    batch = 10_000
    i = total
    while i < args.entries:
        n = min(batch, args.entries - i)
        append_many([facts(j) for j in range(i, i + n)])
        i += n
    print(f"bulk-generated to {args.entries:,} entries in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    signed = publish()
    print(f"publish (sign head over {signed.head.size:,}): {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    check = verify()
    print(f"verify {check.entries:,} entries (ok={check.ok}): {time.perf_counter() - t0:.1f} s")
    assert check.ok

    rng, samples = random.Random(7), []
    root = bytes.fromhex(PublishedTreeHead.objects.get().root_hash)
    for _ in range(500):
        index = rng.randrange(signed.head.size)
        t1 = time.perf_counter()
        found = prove(index)
        samples.append(time.perf_counter() - t1)
        assert InclusionProof.from_dict(found["proof"]).verify(root)
    samples.sort()
    print(f"inclusion proof from the stored tree, incl. its 3 DB reads: p50 {samples[250] * 1e3:.2f} ms, "
          f"p99 {samples[int(len(samples) * 0.99)] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
