"""The PDF renderer: a real WeasyPrint layout in a child process that gives way to web pages."""

from __future__ import annotations

import os
import re
import signal
import zlib

from famlink.adapters import pdf


def _objects(made: bytes) -> bytes:
    """The PDF's objects, with compressed object streams opened (WeasyPrint packs the structure tree in them)."""
    opened = [zlib.decompress(s) for s in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", made, re.S)]
    return made + b"".join(opened)


PAGE = "<!DOCTYPE html><html lang='en-GB'><title>Records</title><h1>Your records</h1><p>One record.</p></html>"


def test_a_pdf_is_laid_out_and_tagged_for_screen_readers() -> None:
    made = pdf.render(PAGE)
    assert made.startswith(b"%PDF-")
    assert b"/StructTreeRoot" in _objects(made)  # tagged: headings and paragraphs survive for a screen reader


def test_the_renderer_runs_at_a_lower_priority_than_the_web_worker() -> None:
    pdf.start()
    renderer_niceness = pdf._pool().submit(os.nice, 0).result()
    assert renderer_niceness == min(19, os.nice(0) + pdf.RENDERER_NICENESS)
    assert pdf._pool().submit(os.getpid).result() != os.getpid()


def test_a_download_still_works_when_the_renderer_has_died() -> None:
    child = pdf._pool().submit(os.getpid).result()
    os.kill(child, signal.SIGKILL)
    assert pdf.render(PAGE).startswith(b"%PDF-")  # laid out here instead, then a new renderer next time
    assert pdf._pool().submit(os.getpid).result() != child
