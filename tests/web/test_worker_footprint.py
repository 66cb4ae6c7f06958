"""A web worker loads the whole site without the linkage engine's libraries.

pandas, Splink and DuckDB add about 90 MiB and a third of a second to every
worker process; pages only read stored links, so they must never need them.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("pandas", "splink", "duckdb", "pyspark", "weasyprint")

LOAD_EVERY_VIEW = """
import sys, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # imports every view module, and the models they use
print(" ".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_loading_every_page_does_not_load_the_linkage_engine_or_the_pdf_library(tmp_path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "famlink.settings", "FAMLINK_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/footprint.sqlite3"}
    done = subprocess.run([sys.executable, "-c", LOAD_EVERY_VIEW.format(heavy=HEAVY)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"loaded at start-up: {done.stdout.strip()}"
