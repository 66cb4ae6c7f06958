"""Docs are tested (after Datasette): every setting and every command is documented."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from famlink.cli.main import COMMAND_MODULES, cli
from famlink.config import SETTINGS
from famlink.core.sources.definition import ATTRIBUTE_MAXIMUM, FIELD_MAXIMA

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_record_fields_maximum_is_documented() -> None:
    """docs/sources.md gives each field's maximum in its row of the record fields table, as ingest applies it."""
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip()
            for line in (DOCS / "sources.md").read_text().splitlines() if line.startswith("| `")}
    wanted = {**{f"`{name}`": f"{limit:,}" for name, limit in FIELD_MAXIMA.items()}, "`attributes.NAME`": f"{ATTRIBUTE_MAXIMUM:,}"}
    wrong = {field: (rows.get(field), limit) for field, limit in wanted.items() if rows.get(field) != limit}
    assert not wrong, f"record fields whose maximum docs/sources.md does not give as (documented, applied): {wrong}"


def _commands(group: click.Group, prefix: str = "famlink") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            names += _commands(command, full)
        else:
            names.append(full)
    return names


def test_every_command_is_in_the_readme() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    text = README.read_text()
    missing = [name for name in _commands(cli) if f"`{name}" not in text]
    assert not missing, f"commands missing from the README's command table: {missing}"


def test_the_readme_opens_with_the_two_commands() -> None:
    blocks = README.read_text().split("```")
    assert blocks[1].strip() == "sh\n./scripts/setup && .venv/bin/famlink demo"
    assert blocks[3].strip() == "sh\n./scripts/test"
    ci = (README.parent / ".ci" / "run").read_text()
    assert "./scripts/test" in ci
