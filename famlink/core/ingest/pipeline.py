"""Run a generator in a second process, handing its items over a bounded queue.

Ingest validates rows in one process while the other writes them: memory stays
bounded by the queue (a few batches), and a worker whose parent dies (even by
SIGKILL) notices and stops. A worker that dies is noticed too: the parent
stops with a message instead of waiting for rows that will never come.

Forking is only safe in a process whose threads are all Python's own. Native
libraries (DuckDB, Arrow) run thread pools of their own, and a fork copies
their locks mid-use: the child can crash or hang. A ``famlink ingest``
command has none; a process that has already linked records may. There the
rows are validated in the same process instead (slower, never stuck).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

from famlink.core.errors import FamlinkError, InvalidInput

T = TypeVar("T")
_DONE = "__done__"
_ERROR = "__error__"


class WorkerStopped(FamlinkError):
    """The worker ended without a word (killed, out of memory): what was written is kept for a rerun."""


def _produce(items: Iterator[object], out: multiprocessing.Queue, parent: int) -> None:
    try:
        for item in items:
            _put(out, item, parent)
        _put(out, _DONE, parent)
    except Exception as exc:  # handed to the parent, which raises it
        # a message for people as it is; of anything else only its type, which cannot quote a row
        text = exc.text if isinstance(exc, FamlinkError) else f"the rows could not be read ({type(exc).__name__})"
        _put(out, (_ERROR, text), parent)


def _put(out: multiprocessing.Queue, item: object, parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        try:
            out.put(item, timeout=1)
            return
        except queue.Full:
            continue


def fork_is_safe() -> bool:
    """Whether every thread of this process is a Python thread (see the module's docstring)."""
    try:
        threads = set(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: trust the platform
        return True
    return threads <= {str(t.native_id) for t in threading.enumerate()}


def in_worker_process(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Yield what ``items`` yields, computing it in a forked process where that is safe."""
    if not fork_is_safe():
        yield from items
        return
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = context.Queue(maxsize=depth)
    worker = context.Process(target=_produce, args=(items, out, os.getpid()), daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = out.get(timeout=1)
            except queue.Empty:
                if worker.is_alive():
                    continue
                try:
                    item = out.get(timeout=1)  # what it sent just before it ended
                except queue.Empty:
                    raise WorkerStopped(
                        f"the process reading the file stopped unexpectedly (exit code {worker.exitcode}). "
                        "What was written so far is kept: run the same command again to carry on.") from None
            if isinstance(item, str) and item == _DONE:
                break
            if isinstance(item, tuple) and len(item) == 2 and item[0] == _ERROR:
                raise InvalidInput(item[1])
            yield item  # type: ignore[misc]
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
