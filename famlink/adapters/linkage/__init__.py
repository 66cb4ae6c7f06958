"""The linkage engines famlink offers, by name: the one list callers choose from.

A use case takes a ``LinkageEngine`` (``famlink.core.linkage.engine``) from
its caller, as Splink's ``Linker`` takes a database API; the command line
(``--engine``) and the demo pick one here. Each engine's module, and Splink,
DuckDB or PySpark with it, is imported only when that engine is made: loading
this list costs nothing, and a missing optional backend is an error that says
what to install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from famlink.core.errors import FamlinkError

if TYPE_CHECKING:
    from famlink.core.linkage.engine import LinkageEngine

DEFAULT_ENGINE = "duckdb"


def _duckdb(**options: Any) -> LinkageEngine:
    from famlink.adapters.linkage.duckdb import DuckDBLinkageEngine

    return DuckDBLinkageEngine(**options)


def _spark(**options: Any) -> LinkageEngine:
    from famlink.adapters.linkage.spark import SparkLinkageEngine

    return SparkLinkageEngine(**options)


#: name -> (how to make it, how to install its libraries when they are missing)
ENGINES: dict[str, tuple[Callable[..., LinkageEngine], str]] = {
    "duckdb": (_duckdb, "pip install famlink (Splink and DuckDB come with it)"),
    "spark": (_spark, "pip install 'famlink[spark]' (or pip install pyspark)"),
}


def linkage_engine(name: str = DEFAULT_ENGINE, **options: Any) -> LinkageEngine:
    """A new engine called ``name`` (``options`` go to its constructor)."""
    try:
        make, install = ENGINES[name]
    except KeyError:
        raise FamlinkError(
            f"unknown linkage engine {name!r}; choose one of {', '.join(sorted(ENGINES))}"
        ) from None
    try:
        return make(**options)
    except ImportError as error:
        missing = getattr(error, "name", None) or str(error)
        raise FamlinkError(
            f"the {name!r} linkage engine needs {missing}, which is not installed: {install}"
        ) from error


__all__ = ["DEFAULT_ENGINE", "ENGINES", "linkage_engine"]
