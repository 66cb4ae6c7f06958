"""A source definition: one TOML file per agency dataset (see docs/sources.md).

Loading checks the whole file up front and names the first thing wrong, so
that a bad definition never reaches the database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import (
    LawfulBasis,
    OrganisationType,
    Purpose,
    RecordCategory,
    Refresh,
    Sector,
)

RECORD_FIELDS = frozenset(
    {
        "local_id", "person_ref", "first_name", "middle_names", "surname", "full_name",
        "date_of_birth", "sex", "address", "postcode", "nhs_number", "upn", "category",
        "event_date", "status", "note", "sensitive",
    }
)
DATE_FIELDS = frozenset({"date_of_birth", "event_date"})
#: The most characters each text field holds: the one place these numbers are written. The
#: database's columns are made this size (famlink.adapters.storage.sources.models), ingest
#: quarantines a longer value and docs/sources.md lists them (a test checks it does).
FIELD_MAXIMA: dict[str, int] = {
    "local_id": 100, "person_ref": 100, "first_name": 100, "middle_names": 200, "surname": 100,
    "full_name": 300, "sex": 1, "address": 300, "postcode": 10, "nhs_number": 10, "upn": 13,
    "category": 40, "status": 30, "note": 10_000,
}
#: The most characters one ``attributes.NAME`` value holds.
ATTRIBUTE_MAXIMUM = 1_000
COLUMN_TYPES = frozenset({"string", "date", "integer", "boolean"})
FILE_FORMATS = frozenset({"csv", "parquet"})
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,79}$")


def maximum_for(field_name: str) -> int | None:
    """The most characters ``field_name`` holds; None for a date or yes-or-no field."""
    if field_name.startswith("attributes."):
        return ATTRIBUTE_MAXIMUM
    return FIELD_MAXIMA.get(field_name)


@dataclass(frozen=True)
class ColumnRule:
    """How one column of an extract fills one record field."""

    column: str
    field: str
    type: str = "string"
    formats: tuple[str, ...] = ("%Y-%m-%d",)
    required: bool = False
    allowed: frozenset[str] | None = None
    # dataclasses.field: the ``field`` attribute above shadows the bare name in the class body
    value_map: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class SourceDefinition:
    name: str
    title: str
    organisation: str
    sector: Sector
    organisation_type: OrganisationType
    contact: str
    record_categories: tuple[RecordCategory, ...]
    lawful_basis: LawfulBasis
    purposes: tuple[Purpose, ...]
    retention_years: int
    refresh: Refresh
    file_format: str
    encoding: str
    delimiter: str
    key_column: str
    columns: tuple[ColumnRule, ...]
    defaults: dict[str, str]
    sha256: str
    raw: dict[str, Any]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(rule.column for rule in self.columns)

    @classmethod
    def load(cls, path: Path) -> SourceDefinition:
        where = str(path)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise InvalidInput("source definition file not found", where=where) from None
        except OSError as exc:
            raise InvalidInput(f"cannot read the source definition ({exc.strerror})", where=where) from None
        try:
            raw = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"not valid TOML: {exc}", where=where) from None
        return cls.from_dict(raw, where=where, sha256=hashlib.sha256(content).hexdigest())

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, where: str, sha256: str = "") -> SourceDefinition:
        src = _table(raw, "source", where)
        file = raw.get("file", {})
        if not isinstance(file, dict):
            raise InvalidInput("[file] must be a table", where=where)
        name = _text(src, "name", where, "[source]")
        if not NAME_PATTERN.match(name):
            raise InvalidInput(f"[source] name {name!r} must be lower case letters, digits and underscores", where=where)
        columns = _columns(raw, where)
        key_column = str(file.get("key") or "")
        if key_column not in {c.column for c in columns}:
            raise InvalidInput(f"[file] key {key_column!r} must be one of the columns defined", where=where)
        defaults = raw.get("defaults", {})
        if not isinstance(defaults, dict):
            raise InvalidInput("[defaults] must be a table", where=where)
        unknown_defaults = set(defaults) - RECORD_FIELDS
        if unknown_defaults:
            raise InvalidInput(f"[defaults] has unknown record fields: {', '.join(sorted(unknown_defaults))}", where=where)
        filled = {c.field for c in columns} | set(defaults)
        if "local_id" not in filled:
            raise InvalidInput("no column fills the required field local_id", where=where)
        if "category" not in filled:
            raise InvalidInput("no column or default fills the required field category", where=where)
        if "category" in defaults:
            _enum(RecordCategory, defaults["category"], where, "[defaults] category")
        for field_name, value in defaults.items():
            limit = maximum_for(field_name)
            if limit is not None and len(str(value)) > limit:
                raise InvalidInput(f"[defaults] {field_name} has {len(str(value)):,} characters; "
                                   f"{field_name} holds at most {limit:,}", where=where)
        file_format = str(file.get("format", "csv"))
        if file_format not in FILE_FORMATS:
            raise InvalidInput(f"[file] format must be csv or parquet, not {file_format!r}", where=where)
        retention = src.get("retention_years")
        if not isinstance(retention, int) or retention < 0:
            raise InvalidInput("[source] retention_years must be a whole number of years", where=where)
        return cls(
            name=name,
            title=_text(src, "title", where, "[source]"),
            organisation=_text(src, "organisation", where, "[source]"),
            sector=_enum(Sector, src.get("sector"), where, "[source] sector"),
            organisation_type=_enum(OrganisationType, src.get("organisation_type", "public"), where, "[source] organisation_type"),
            contact=str(src.get("contact", "")),
            record_categories=tuple(
                _enum(RecordCategory, c, where, "[source] record_categories") for c in _list(src, "record_categories", where)
            ),
            lawful_basis=_enum(LawfulBasis, src.get("lawful_basis"), where, "[source] lawful_basis"),
            purposes=tuple(_enum(Purpose, p, where, "[source] purposes") for p in _list(src, "purposes", where)),
            retention_years=retention,
            refresh=_enum(Refresh, src.get("refresh", "ad_hoc"), where, "[source] refresh"),
            file_format=file_format,
            encoding=str(file.get("encoding", "utf-8")),
            delimiter=str(file.get("delimiter", ",")),
            key_column=key_column,
            columns=columns,
            defaults={k: str(v) for k, v in defaults.items()},
            sha256=sha256,
            raw=raw,
        )


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InvalidInput(f"missing the [{key}] table", where=where)
    return value


def _text(table: dict[str, Any], key: str, where: str, section: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{section} {key} is missing or empty", where=where)
    return value.strip()


def _list(table: dict[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput(f"[source] {key} must be a list", where=where)
    return value


def _enum(enum: type, value: Any, where: str, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)  # type: ignore[attr-defined]
        raise InvalidInput(f"{what} {value!r} is not one of: {allowed}", where=where) from None


def _columns(raw: dict[str, Any], where: str) -> tuple[ColumnRule, ...]:
    table = raw.get("columns")
    if not isinstance(table, dict) or not table:
        raise InvalidInput("missing the [columns] tables", where=where)
    rules = []
    seen_fields: dict[str, str] = {}
    for column, spec in table.items():
        what = f"[columns.{column}]"
        if not isinstance(spec, dict):
            raise InvalidInput(f"{what} must be a table", where=where)
        target = spec.get("field")
        if not isinstance(target, str) or not (target in RECORD_FIELDS or target.startswith("attributes.")):
            raise InvalidInput(f"{what} field {target!r} is not a record field (see docs/sources.md)", where=where)
        if target in seen_fields and not target.startswith("attributes."):
            raise InvalidInput(f"{what} fills {target}, which {seen_fields[target]} already fills", where=where)
        seen_fields[target] = column
        col_type = spec.get("type", "date" if target in DATE_FIELDS else "string")
        if col_type not in COLUMN_TYPES:
            raise InvalidInput(f"{what} type {col_type!r} must be one of {', '.join(sorted(COLUMN_TYPES))}", where=where)
        if target in DATE_FIELDS and col_type != "date":
            raise InvalidInput(f"{what} fills {target}, so its type must be date", where=where)
        formats = spec.get("formats", ["%Y-%m-%d"])
        if not isinstance(formats, list) or not formats or not all(isinstance(f, str) for f in formats):
            raise InvalidInput(f"{what} formats must be a non-empty list of date formats", where=where)
        allowed = spec.get("allowed")
        if allowed is not None and (not isinstance(allowed, list) or not allowed):
            raise InvalidInput(f"{what} allowed must be a non-empty list", where=where)
        value_map = spec.get("map", {})
        if not isinstance(value_map, dict):
            raise InvalidInput(f"{what} map must be a table of code = value", where=where)
        rules.append(
            ColumnRule(
                column=column,
                field=target,
                type=col_type,
                formats=tuple(formats),
                required=bool(spec.get("required", False)),
                allowed=frozenset(str(a) for a in allowed) if allowed is not None else None,
                value_map={str(k): str(v) for k, v in value_map.items()},
            )
        )
    return tuple(rules)
