"""Run a generator in a second process, handing its items over a bounded queue.

Ingest validates rows in one process while the other writes them: memory stays
bounded by the queue (a few batches), and a worker whose parent dies (even by
SIGKILL) notices and stops.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Iterator
from typing import TypeVar

from famlink.core.errors import InvalidInput

T = TypeVar("T")
_DONE = "__done__"
_ERROR = "__error__"


def _produce(items: Iterator[object], out: multiprocessing.Queue, parent: int) -> None:
    try:
        for item in items:
            _put(out, item, parent)
        _put(out, _DONE, parent)
    except Exception as exc:  # handed to the parent, which raises it
        text = getattr(exc, "text", None) or f"{type(exc).__name__}: {exc}"
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


def in_worker_process(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Yield what ``items`` yields, computing it in a forked process."""
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = context.Queue(maxsize=depth)
    worker = context.Process(target=_produce, args=(items, out, os.getpid()), daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if isinstance(item, str) and item == _DONE:
                break
            if isinstance(item, tuple) and len(item) == 2 and item[0] == _ERROR:
                raise InvalidInput(item[1])
            yield item  # type: ignore[misc]
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
