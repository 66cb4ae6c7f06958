"""PDF layout by WeasyPrint in a child process that yields the CPU to web pages.

A large family's download takes about a second of CPU to lay out. Done in a
web worker, it competes on equal terms with the pages other parents are
waiting for, and on a small server those pages queue behind it. Here it runs
in a child process with a higher nice value: when pages need the CPU the
kernel serves them first, and on an idle machine the PDF runs at full speed.

One renderer per web worker process, started on first use or by ``start()``
when a worker boots. Children come from a ``forkserver`` (a clean,
single-threaded process that has already imported WeasyPrint), so a child
never inherits a lock held by another thread of the web server. If the
renderer dies, the PDF is laid out in the calling process instead: slower
for the pages around it, but the parent still gets the download.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

#: How much lower than the web workers the renderer runs (Linux nice, 0-19).
RENDERER_NICENESS = 5

_renderer: tuple[int, ProcessPoolExecutor] | None = None


def _lay_out(html: str, tagged: bool) -> bytes:
    from weasyprint import HTML  # pango loads only where PDFs are made

    return HTML(string=html).write_pdf(pdf_tags=tagged)  # type: ignore[no-any-return]


def _yield_cpu() -> None:
    os.nice(RENDERER_NICENESS)
    _lay_out("<p>warm</p>", True)  # fonts and pango ready before the first real PDF


def _pool() -> ProcessPoolExecutor:
    global _renderer
    if _renderer is None or _renderer[0] != os.getpid():  # a forked web worker starts its own
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["weasyprint"])
        _renderer = (os.getpid(), ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_yield_cpu))
    return _renderer[1]


def start() -> None:
    """Start this process's renderer now, so the first download does not wait for it."""
    _pool().submit(len, "")


def render(html: str, *, tagged: bool = True) -> bytes:
    """The PDF of ``html``; tagged (structure for screen readers) unless asked otherwise."""
    global _renderer
    try:
        return _pool().submit(_lay_out, html, tagged).result()
    except BrokenProcessPool:
        _renderer = None
        return _lay_out(html, tagged)


__all__ = ["RENDERER_NICENESS", "render", "start"]
