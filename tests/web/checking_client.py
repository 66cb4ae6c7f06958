"""A test client that checks every page it fetches, after GOV.UK Notify's.

Any HTML response must be valid HTML (html5lib's strict parser), have exactly
one ``h1``, a ``<title>`` that starts with the ``h1`` text (after GOV.UK's
optional "Error: " prefix), and no id used twice. A page test that goes
through this client gets these checks for free and cannot forget them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
from django.http import HttpResponse
from django.test import Client

ERROR_PREFIXES = ("Error: ", "Gwall: ")


class PageProblem(AssertionError):
    pass


def _text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def check_page(html: str, *, where: str = "page") -> Element:
    """Parse and check one page; return its tree for further assertions."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        tree = parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line, col = parser.errors[-1][0] if parser.errors else ("?", "?")
        raise PageProblem(f"{where}: invalid HTML at line {line}, column {col}: {error}") from error
    h1s = tree.findall(".//h1")
    if len(h1s) != 1:
        raise PageProblem(f"{where}: expected exactly one h1, found {len(h1s)}")
    title_el = tree.find(".//head/title")
    title = _text(title_el) if title_el is not None else ""
    for prefix in ERROR_PREFIXES:
        title = title.removeprefix(prefix)
    heading = _text(h1s[0])
    if not heading or not title.startswith(heading):
        raise PageProblem(f"{where}: <title> {title!r} does not start with the h1 {heading!r}")
    ids = Counter(el.get("id") for el in tree.iter() if el.get("id"))
    doubled = sorted(i for i, n in ids.items() if n > 1)
    if doubled:
        raise PageProblem(f"{where}: ids used more than once: {', '.join(doubled)}")
    return tree


class CheckingClient(Client):
    """Django's test client, plus ``check_page`` on every HTML response (``response.page``)."""

    def request(self, **request: Any) -> HttpResponse:
        response: HttpResponse = super().request(**request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and not response.streaming and response.content:
            where = f"{request.get('REQUEST_METHOD', 'GET')} {request.get('PATH_INFO', '?')} ({response.status_code})"
            response.page = check_page(response.content.decode(), where=where)  # type: ignore[attr-defined]
        return response
