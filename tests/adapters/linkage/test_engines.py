"""The engines on offer, by name: one list, clear errors, and nothing heavy until one is made."""

import subprocess
import sys

import pytest

from famlink.adapters import linkage
from famlink.adapters.linkage import ENGINES, linkage_engine
from famlink.core.errors import FamlinkError
from famlink.core.linkage.engine import LinkageEngine


def test_unknown_engine():
    with pytest.raises(FamlinkError, match="unknown linkage engine 'oracle'; choose one of duckdb, spark"):
        linkage_engine("oracle")


def test_the_default_engine_is_duckdb_and_links_through_the_core_protocol():
    engine = linkage_engine()
    assert engine.name == "duckdb"
    assert isinstance(engine, LinkageEngine)


def test_an_engine_whose_library_is_missing_says_what_to_install(monkeypatch):
    def missing(**_options):
        raise ImportError("No module named 'pyspark'", name="pyspark")

    monkeypatch.setitem(ENGINES, "spark", (missing, ENGINES["spark"][1]))
    with pytest.raises(FamlinkError, match=r"'spark' linkage engine needs pyspark.*famlink\[spark\]"):
        linkage.linkage_engine("spark")


def test_the_command_line_lists_the_engines_without_loading_them():
    """``famlink link --help`` offers every engine and loads no linkage library to do so."""
    code = ("import sys; from famlink.cli import linkage; "
            "print(' '.join(sorted(linkage.ENGINE_CHOICE.choices))); "
            "print(' '.join(m for m in ('pandas', 'splink', 'duckdb', 'pyspark') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    offered, loaded = done.stdout.split("\n")[:2]
    assert offered == "duckdb spark"
    assert loaded == ""
