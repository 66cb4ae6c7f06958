"""A web worker's work while PostgreSQL stops and starts under it (not a test module).

``test_restarts.py`` runs this in a process of its own, on a private
PostgreSQL instance (``DATABASE_URL``), and talks to it a line at a time.
It sets up a family, an audit writer and a sequencer as ``famlink serve``
would, then keeps reads through the policy door and consent changes going
in threads, each attempt with a moment of its own so that its audit entry
can be found. It writes ``ready`` once everything is under way. The test
stops and starts the server, then writes ``restarted``: this process answers
``progressed`` once every thread has succeeded again (and a worker thread
that sat idle through the restart has read once). ``finish`` stops it all;
what each attempt was told (shown, committed or failed) is written to the
file named on the command line, then ``done``.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

READERS = 3
#: How many successes each thread must have after a restart before the test goes on.
AGAIN = 3
WITHIN = 40.0  # seconds


def main(report: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import close_old_connections, connections
    from django.utils import timezone

    from famlink import config
    from famlink.adapters.storage.governance.actors import staff_actor
    from famlink.adapters.storage.governance.audit.sequencer import start_sequencer, stop_sequencer
    from famlink.adapters.storage.governance.audit.writer import AuditWriter
    from famlink.adapters.storage.sources.models import Source, SourceRecord
    from famlink.core.audit import utc_timestamp
    from famlink.core.consent import ConsentLevel
    from famlink.core.policy import Relation
    from famlink.core.taxonomy import DataCategory, Purpose
    from famlink.services.governance import door
    from famlink.services.governance.consent import ConsentRequest, change_consent
    from tests.common import builders
    from tests.common.builders import give_consent

    call_command("migrate", verbosity=0, interactive=False)
    fam = builders.family("restart")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    sources = list(Source.objects.select_related("organisation"))
    readers = [staff_actor(builders.staff(name=f"reader-{n}")) for n in range(READERS + 1)]  # the last one idles
    connections.close_all()

    writer = AuditWriter(config.audit_writer_socket())
    writer_thread = threading.Thread(target=writer.serve, name="audit-writer")
    writer_thread.start()
    assert writer.wait_until_listening()
    start_sequencer()

    stop = threading.Event()
    lock = threading.Lock()
    reads: list[dict[str, str]] = []
    consents: list[dict[str, str]] = []
    successes = [0] * (READERS + 1)  # the readers', then the consent changer's
    base, moments = timezone.now(), itertools.count()

    def attempt(record: list[dict[str, str]], facts: dict[str, str], work: Callable[[], Any], good: str) -> bool:
        """Run one request as a worker would (stale connections closed first); note what its caller was told."""
        close_old_connections()
        try:
            work()
        except Exception as error:  # what the request's caller sees: a failure, with this reason
            outcome = f"failed: {type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        else:
            outcome = good
        with lock:
            record.append({**facts, "outcome": outcome})
        return outcome == good

    def read(n: int) -> bool:
        at = base + timedelta(microseconds=next(moments))

        def work() -> None:
            with door.open(readers[n], Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
                           sources=sources, now=at):
                list(SourceRecord.objects.filter(source__in=sources).values_list("note", flat=True))

        return attempt(reads, {"actor": readers[n].id, "at": utc_timestamp(at)}, work, "shown")

    def keep_reading(n: int) -> None:
        while not stop.is_set():
            if read(n):
                successes[n] += 1
            else:
                time.sleep(0.05)
            time.sleep(0.005)

    def keep_changing_consent() -> None:
        give = True
        while not stop.is_set():
            at = base + timedelta(microseconds=next(moments))
            action = "give" if give else "withdraw"
            request = ConsentRequest(person=fam.father, purpose=Purpose.EARLY_HELP_IDENTIFICATION, action=action,
                                     level=ConsentLevel.WITHIN_SERVICE, decided_by_id="self", decided_by=Relation.OWN)
            if attempt(consents, {"at": utc_timestamp(at), "action": action},
                       partial(change_consent, request, at=at), "committed"):
                successes[READERS] += 1
                give = not give
            else:
                time.sleep(0.05)  # and then the same change again: a retry
            time.sleep(0.01)

    wake_idle, idle_read = threading.Semaphore(0), threading.Semaphore(0)

    def read_now_and_then() -> None:
        """A worker thread (one connection) that reads once, then sits idle until woken to read again."""
        while not stop.is_set():
            if wake_idle.acquire(timeout=0.1):
                read(READERS)
                idle_read.release()

    def idle_reads_once() -> None:
        wake_idle.release()
        assert idle_read.acquire(timeout=WITHIN)

    threads = [threading.Thread(target=keep_reading, args=(n,)) for n in range(READERS)]
    threads += [threading.Thread(target=keep_changing_consent), threading.Thread(target=read_now_and_then)]
    for thread in threads:
        thread.start()
    idle_reads_once()

    def progressed() -> bool:
        """Every busy thread has succeeded AGAIN times since ``from_``."""
        deadline = time.monotonic() + WITHIN
        while time.monotonic() < deadline:
            if all(now - then >= AGAIN for now, then in zip(successes, from_, strict=True)):
                return True
            time.sleep(0.05)
        return False

    from_ = [0] * (READERS + 1)
    print("ready" if progressed() else "stuck", flush=True)
    for line in sys.stdin:
        if line.strip() == "restarted":
            from_ = list(successes)
            idle_reads_once()  # its connection's first request since the restart
            print("progressed" if progressed() else "stuck", flush=True)
        elif line.strip() == "finish":
            break
    stop.set()
    for thread in threads:
        thread.join(WITHIN)
    writer.stop()
    writer_thread.join(WITHIN)
    stop_sequencer()
    report.write_text(json.dumps({"reads": reads, "consents": consents, "idle": readers[READERS].id}))
    print("done", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
