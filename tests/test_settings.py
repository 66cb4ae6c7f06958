"""Settings read from the environment: HTTPS turns on HSTS, and a bad number is one clear line.

Each case starts a fresh Python, because Django reads its settings once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ONE_YEAR = 365 * 24 * 3600

#: Fetch one page that reads no database, over HTTPS and over HTTP, and report what the settings made of it.
PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
path = "/registers/schemas/algorithms.schema.json"
print(json.dumps({
    "https": Client().get(path, secure=True).headers.get("Strict-Transport-Security"),
    "http": Client().get(path).headers.get("Strict-Transport-Security"),
    "secure_cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
}))
"""


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAMLINK_")}
    clean.update({"FAMLINK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "famlink.settings",
                  "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **env})
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120)


def probe(tmp_path: Path, **env: str) -> dict[str, object]:
    done = run_python(PROBE, tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_https_sends_hsts_for_a_year_without_subdomains_or_preload(tmp_path: Path) -> None:
    seen = probe(tmp_path, FAMLINK_HTTPS="1")
    assert seen["https"] == f"max-age={ONE_YEAR}"  # not includeSubDomains, not preload: docs/configuration.md
    assert seen["http"] is None  # a browser ignores HSTS over plain HTTP, and famlink does not send it
    assert seen["secure_cookies"] == [True, True]


def test_without_https_there_is_no_hsts(tmp_path: Path) -> None:
    seen = probe(tmp_path)
    assert seen["https"] is None and seen["secure_cookies"] == [False, False]


def test_the_hsts_max_age_and_subdomains_are_settings(tmp_path: Path) -> None:
    assert probe(tmp_path, FAMLINK_HTTPS="1", FAMLINK_HSTS_SECONDS="300")["https"] == "max-age=300"
    seen = probe(tmp_path, FAMLINK_HTTPS="1", FAMLINK_HSTS_INCLUDE_SUBDOMAINS="1")
    assert seen["https"] == f"max-age={ONE_YEAR}; includeSubDomains"


def test_a_bad_number_in_a_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    status = "import sys; sys.argv = ['famlink', 'status']; from famlink.cli.main import main; main()"
    for name, bad in [("FAMLINK_API_CALLS_PER_MINUTE", "²"), ("FAMLINK_API_CALLS_PER_MINUTE", "sixty"),
                      ("FAMLINK_API_CALLS_PER_MINUTE", "0"), ("FAMLINK_HSTS_SECONDS", "1y")]:
        done = run_python(status, tmp_path, FAMLINK_HTTPS="1", **{name: bad})
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"famlink: {name}: must be "), done.stderr


def test_consent_models_come_from_the_setting_and_a_bad_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from famlink import config
    from famlink.core.errors import InvalidInput
    from famlink.core.policy import ConsentModel
    from famlink.core.taxonomy import Purpose

    monkeypatch.delenv("FAMLINK_CONSENT_MODELS", raising=False)
    assert config.consent_models()[Purpose.RECORD_LINKAGE].model is ConsentModel.CONSENT
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", "service.record_linkage=statutory:Children Act 1989 s.17")
    assert config.consent_models()[Purpose.RECORD_LINKAGE].lawful_basis == "Children Act 1989 s.17"
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", "service.record_linkage=maybe")
    with pytest.raises(InvalidInput, match=r"FAMLINK_CONSENT_MODELS: service\.record_linkage: 'maybe'"):
        config.consent_models()
