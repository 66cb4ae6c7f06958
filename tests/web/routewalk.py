"""Walks a URL configuration and proves every personal-data route asks the policy door.

Each personal-data route is opened once (GET) and must write an audit entry
about the family's person, every entry it writes saying the action the route
declares in ``@personal_data(action=...)``: the access log a parent reads
names what was really done.

Not a test module: ``test_route_walk.py`` runs it over ``famlink.urls`` and
over a deliberately broken urlconf that it must catch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.web.marks import RouteAccess, declared, declared_action


@dataclass(frozen=True)
class Route:
    path: str
    name: str | None
    view: Any
    keys: tuple[str, ...]


def routes(urlconf: str | None = None) -> Iterator[Route]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                keys = tuple(p.pattern.converters) if hasattr(p.pattern, "converters") else ()
                yield Route(prefix + str(p.pattern), p.name, p.callback, keys)

    yield from walk(get_resolver(urlconf).url_patterns, "/")


def fill(route: Route, ids: str | dict[str, str]) -> str:
    """The route's path with each URL parameter filled from ``ids`` (a bare id fills them all)."""
    values = {"public_id": ids} if isinstance(ids, str) else ids
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m[1], values["public_id"]), route.path)


def client_for_path(clients: Client | dict[str, Client], path: str) -> Client:
    """One client for every route, or the client whose path prefix is the longest match."""
    if isinstance(clients, Client):
        return clients
    prefix = max((p for p in clients if path.startswith(p)), key=len)
    return clients[prefix]


def reads(route: Route) -> bool:
    """The route answers GET: a page, or an API read (an API write, like a POST, is walked by tests/api)."""
    return "GET" in getattr(route.view, "famlink_methods", ("GET",))


def problems(clients: Client | dict[str, Client], ids: str | dict[str, str], urlconf: str | None = None,
             shared: dict[str, str] | None = None) -> list[str]:
    """Every route without a declaration, and every personal-data route that logs nothing or may be cached.

    ``clients`` maps path prefixes to a client signed in as someone the page
    lets in (a verified parent for /portal/, the data team for /team/), so the
    walk reaches each view rather than stopping at its page guard. ``shared``
    is sent in every request's query (the API's required ``purpose``).
    """
    public_id = ids if isinstance(ids, str) else ids["public_id"]
    found: list[str] = []
    for route in routes(urlconf):
        access = declared(route.view)
        if access is None:
            found.append(f"{route.path}: declares neither @public nor @personal_data")
            continue
        if access is RouteAccess.PUBLIC or not reads(route):
            continue
        last = AuditLogEntry.objects.order_by("-index").values_list("index", flat=True).first()
        # a route that needs a query to show anyone (a search) takes it from ids["?" + its path]
        query = ids.get("?" + route.path, "") if isinstance(ids, dict) else ""
        try:
            asked = "&".join(q for q in (query, urlencode(shared or {})) if q)
            response = client_for_path(clients, route.path).get(fill(route, ids) + (f"?{asked}" if asked else ""))
        except Exception as error:  # a guarded view that skipped the door raises here
            found.append(f"{route.path}: {error}")
            continue
        written = AuditLogEntry.objects.filter(subject_id=public_id, index__gt=-1 if last is None else last)
        actions = set(written.values_list("action", flat=True))
        if not actions:
            found.append(f"{route.path}: personal-data route wrote no audit entry")
        elif actions != {declared_action(route.view)}:
            found.append(f"{route.path}: declares action {declared_action(route.view)} but its entries say "
                         f"{', '.join(sorted(actions))}")
        if "no-store" not in response.get("Cache-Control", ""):
            found.append(f"{route.path}: personal-data route lets caches keep it (no Cache-Control: no-store)")
    return found
