"""Record linkage: one engine API, explanations, evaluation, file mappings.

The engine (and pandas, Splink and DuckDB with it) loads only when asked for:
the web app reads links' stored evidence on every person page and must not
pay for the engine in each worker.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from famlink.core.linkage.engine import LinkageEngine, LinkageResult, get_engine
    from famlink.core.linkage.explain import explain

_WHERE = {"LinkageEngine": "engine", "LinkageResult": "engine", "get_engine": "engine", "explain": "explain"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"famlink.core.linkage.{_WHERE[name]}"), name)


__all__ = ["LinkageEngine", "LinkageResult", "explain", "get_engine"]
