"""Docs are tested (after Datasette): every setting and every command is documented."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import click

from famlink.cli.main import COMMAND_MODULES, cli
from famlink.config import SETTINGS
from famlink.core.sources.definition import ATTRIBUTE_MAXIMUM, FIELD_MAXIMA

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"
FAMLINK = Path(__file__).resolve().parent.parent / "famlink"
#: famlink.config's functions that read a setting by the name given first.
READERS = {"get", "flag", "whole_number"}


def settings_read(source: str, *, in_config: bool = False) -> set[str]:
    """Every setting a module reads by a literal name: ``config.get("X")``, ``config.flag("X")``, any
    ``config.<reader>("X")``, a reader imported from famlink.config (or called inside it), and
    ``os.environ.get("FAMLINK_X")``, ``os.getenv("FAMLINK_X")``, ``os.environ["FAMLINK_X"]``."""
    tree = ast.parse(source)
    readers = set(READERS) if in_config else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "famlink.config":
            readers |= {a.asname or a.name for a in node.names if a.name in READERS}
    found: set[str] = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func, first = node.func, node.args[0].value
            by_config = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "config"
            if by_config or (isinstance(func, ast.Name) and func.id in readers):
                name = first
            elif isinstance(func, ast.Attribute) and ast.unparse(func) in {"os.environ.get", "os.getenv"}:
                name = first if str(first).startswith("FAMLINK_") else None
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" and isinstance(node.slice, ast.Constant):
            name = node.slice.value if str(node.slice.value).startswith("FAMLINK_") else None
        if isinstance(name, str):
            found.add(name)
    return found


def _read_in_famlink() -> dict[str, list[str]]:
    """Each setting famlink's source reads, and where."""
    where: dict[str, list[str]] = {}
    for path in sorted(FAMLINK.rglob("*.py")):
        for name in settings_read(path.read_text(encoding="utf-8"), in_config=path == FAMLINK / "config.py"):
            where.setdefault(name, []).append(str(path.relative_to(FAMLINK.parent)))
    return where


def test_every_setting_famlink_reads_is_listed_and_documented() -> None:
    """Not only what ``SETTINGS`` lists: every name the code reads, so a new ``config.get`` cannot hide."""
    read = _read_in_famlink()
    assert {"DATABASE_URL", "FAMLINK_DATA_DIR", "FAMLINK_HTTPS", "FAMLINK_SETTINGS_FILE"} <= set(read)
    listed = {s.name for s in SETTINGS}
    unlisted = {name: files for name, files in read.items() if name not in listed}
    assert not unlisted, f"settings read but missing from SETTINGS in famlink/config.py: {unlisted}"
    text = (DOCS / "configuration.md").read_text()
    missing = sorted(name for name in listed | set(read) if f"`{name}`" not in text)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_listed_setting_is_in_the_documented_table_with_its_default() -> None:
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in (DOCS / "configuration.md").read_text().splitlines() if line.startswith("| `")}
    wrong = {s.name: (rows.get(f"`{s.name}`"), s.default) for s in SETTINGS if rows.get(f"`{s.name}`") != f"`{s.default}`"}
    assert not wrong, f"settings whose row in docs/configuration.md is missing or gives another default: {wrong}"


def test_the_scan_finds_each_way_of_reading_a_setting() -> None:
    source = """
import os
from famlink import config
from famlink.config import flag as on
config.get("FAMLINK_A", "1")
config.whole_number("FAMLINK_B", minimum=1)
config.some_new_reader("FAMLINK_C")
on("FAMLINK_D")
os.environ.get("FAMLINK_E")
os.getenv("FAMLINK_F")
x = os.environ["FAMLINK_G"]
os.environ.get("PATH")
config.get(name)
get("FAMLINK_NOT_HERE")
"""
    assert settings_read(source) == {f"FAMLINK_{c}" for c in "ABCDEFG"}
    assert "FAMLINK_NOT_HERE" in settings_read(source, in_config=True)


def test_every_record_fields_maximum_is_documented() -> None:
    """docs/sources.md gives each field's maximum in its row of the record fields table, as ingest applies it."""
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip()
            for line in (DOCS / "sources.md").read_text().splitlines() if line.startswith("| `")}
    wanted = {**{f"`{name}`": f"{limit:,}" for name, limit in FIELD_MAXIMA.items()}, "`attributes.NAME`": f"{ATTRIBUTE_MAXIMUM:,}"}
    wrong = {field: (rows.get(field), limit) for field, limit in wanted.items() if rows.get(field) != limit}
    assert not wrong, f"record fields whose maximum docs/sources.md does not give as (documented, applied): {wrong}"


#: A path in the repository named in prose: famlink/..., tests/..., not part of a longer path (/srv/famlink/...).
REPO_PATH = re.compile(r"(?<![\w./-])(?:famlink|tests|bench|scripts|examples)/[\w./*-]*[\w/*]")


def test_every_path_the_docs_name_exists() -> None:
    """A module moved without its docs is a wrong map."""
    root = README.parent
    gone = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            for path in REPO_PATH.findall(line):
                if "NAME" not in path and not any(root.glob(path.rstrip("/"))):
                    gone.append(f"{page.relative_to(root)}:{number}: {path}")
    assert not gone, "paths the docs name that do not exist:\n" + "\n".join(gone)


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


def test_every_mapping_key_of_link_file_is_documented_with_an_example():
    """Each [columns] field and [linkage] key a mapping may set appears in docs/linkage.md's example."""
    from famlink.core.linkage.mapping import _LINKAGE_KEYS, FIELDS

    text = (DOCS / "linkage.md").read_text(encoding="utf-8")
    example = text[text.index("### Mapping file (TOML)"):text.index("### Quality on the labelled files")]
    missing = [key for key in (*FIELDS, *_LINKAGE_KEYS) if f"\n{key} = " not in example]
    assert not missing, f"mapping keys without an example in docs/linkage.md: {missing}"
