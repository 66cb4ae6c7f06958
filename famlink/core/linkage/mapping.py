"""Reading a file of records through a mapping onto the standard table.

A mapping (TOML) says which input columns hold which identifying fields, so
``link_file`` can link any CSV or Parquet without code. Format (all keys but
``id`` optional; documented in docs/linkage.md)::

    id = "unique_id"                  # the record id column
    truth = "cluster"                 # a true-entity column, for evaluation only
    truth_pattern = "^rec-(\\d+)-"    # optional regex: its first group is the entity
    source = "source_system"          # column naming the source, if any

    [columns]
    first_name = "first_name"
    surname = "surname"
    full_name = "name"                # split into first/last when those are absent
    date_of_birth = "dob"
    sex = "gender"
    postcode = "postcode"
    address = ["street_number", "address_1", "address_2"]   # joined with spaces
    city = "town"
    email = "email"
    nhs_number = "nhs_no"
    upn = "upn"

    [columns.other_ids]
    soc_sec_id = "soc_sec_id"         # becomes id_soc_sec_id

    birth_place = "birth_place"       # free text; compared like a town
    occupation = "occupation"         # free text

    [date_of_birth]
    formats = ["%Y%m%d"]              # strptime-style; tried in order

    [linkage]                         # for experts; every key optional
    max_pairs = 20_000_000            # pair budget for the blocking rules chosen from the data
    blocking_rules = ["l.surname = r.surname AND l.birth_year = r.birth_year"]  # instead of choosing
    target_precision = 0.98           # expected precision the estimated threshold must reach
    family_guards = "auto"            # "auto", "on" or "off"
    compare = ["first_name", "surname", "date_of_birth"]  # only these fields are compared
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from famlink.core.errors import InvalidInput
from famlink.core.linkage.normalise import DEFAULT_DATE_FORMATS, parse_date

FIELDS = ("first_name", "middle_names", "surname", "full_name", "date_of_birth", "sex",
          "postcode", "address", "city", "email", "nhs_number", "upn", "birth_place", "occupation")
#: pair budget for blocking when the mapping does not set one: about a minute
#: of scoring on 2 cores, well within 24 GB
DEFAULT_MAX_PAIRS = 20_000_000
#: expected precision the estimated threshold must reach when the mapping does not say
DEFAULT_TARGET_PRECISION = 0.98
#: prepared columns a blocking rule may name (besides the fields and id_<name>)
RULE_COLUMNS = frozenset({
    "first_name_group", "first_name_sound", "first_name_letters", "surname_sound", "name_pair",
    "first_initial", "surname_initial", "birth_year", "birth_month", "birth_day", "birth_days",
    "postcode_area", "postcode_district", "postcode_sector", "email_user"})
_LINKAGE_KEYS = ("max_pairs", "blocking_rules", "target_precision", "family_guards", "compare")


@dataclass(frozen=True)
class Mapping:
    """Which input columns feed which standard fields."""

    id: str
    columns: dict[str, list[str]]
    other_ids: dict[str, str] = field(default_factory=dict)
    truth: str | None = None
    truth_pattern: str | None = None
    source: str | None = None
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    max_pairs: int = DEFAULT_MAX_PAIRS
    blocking_rules: tuple[str, ...] = ()
    target_precision: float = DEFAULT_TARGET_PRECISION
    family_guards: bool | None = None  # None: decided from the records
    compare: tuple[str, ...] = ()  # empty: every mapped field

    def input_columns(self) -> set[str]:
        used = {self.id, *self.other_ids.values()}
        used.update(c for cols in self.columns.values() for c in cols)
        return used | {c for c in (self.truth, self.source) if c}


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every problem names the file and the key."""
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("mapping file not found", where=where) from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"not valid TOML: {error}", where=where) from None
    if not isinstance(data.get("id"), str) or not data["id"].strip():
        raise InvalidInput('missing "id": the name of the record id column', where=where)
    raw_columns = data.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise InvalidInput('"columns" must be a table of field = "column"', where=where)
    other_ids = raw_columns.pop("other_ids", {}) if isinstance(raw_columns, dict) else {}
    columns: dict[str, list[str]] = {}
    for name, value in raw_columns.items():
        if name not in FIELDS:
            raise InvalidInput(
                f'unknown field "{name}" in [columns]; known fields: {", ".join(FIELDS)}',
                where=where)
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise InvalidInput(f'[columns] {name} must be a column name or a list of them',
                               where=where)
        columns[name] = values
    if not columns and not other_ids:
        raise InvalidInput("no identifying columns are mapped in [columns]", where=where)
    if not isinstance(other_ids, dict) or not all(isinstance(v, str) for v in other_ids.values()):
        raise InvalidInput('[columns.other_ids] must map names to column names', where=where)
    if data.get("truth_pattern") is not None:
        import re

        try:
            if re.compile(data["truth_pattern"]).groups < 1:
                raise re.error("needs one (group)")
        except (re.error, TypeError) as error:
            raise InvalidInput(f"truth_pattern is not a usable regex: {error}",
                               where=where) from None
    formats = data.get("date_of_birth", {}).get("formats", list(DEFAULT_DATE_FORMATS))
    if isinstance(formats, str):
        formats = [formats]
    if not formats or not all(isinstance(f, str) and "%Y" in f for f in formats):
        raise InvalidInput("[date_of_birth] formats must be strptime patterns with %Y",
                           where=where)
    return Mapping(id=data["id"].strip(), columns=columns, other_ids=dict(other_ids),
                   truth=data.get("truth"), truth_pattern=data.get("truth_pattern"),
                   source=data.get("source"),
                   date_formats=tuple(formats),
                   **_linkage_options(data.get("linkage", {}), columns, other_ids, where))


def _linkage_options(raw: object, columns: dict[str, list[str]], other_ids: dict[str, str],
                     where: str) -> dict[str, Any]:
    """The expert ``[linkage]`` table, checked; each problem names its key."""
    import re

    if not isinstance(raw, dict):
        raise InvalidInput("[linkage] must be a table of settings", where=where)
    unknown = sorted(set(raw) - set(_LINKAGE_KEYS))
    if unknown:
        raise InvalidInput(f'unknown key "{unknown[0]}" in [linkage]; known keys: '
                           f'{", ".join(_LINKAGE_KEYS)}', where=where)
    out: dict[str, Any] = {}
    if "max_pairs" in raw:
        value = raw["max_pairs"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1_000 <= value <= 10**10:
            raise InvalidInput("[linkage] max_pairs must be a whole number from 1000 to "
                               "10,000,000,000", where=where)
        out["max_pairs"] = value
    if "target_precision" in raw:
        value = raw["target_precision"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 <= value < 1:
            raise InvalidInput("[linkage] target_precision must be a number from 0.5 to below 1",
                               where=where)
        out["target_precision"] = float(value)
    if "family_guards" in raw:
        value = raw["family_guards"]
        choices = {"auto": None, "on": True, "off": False, True: True, False: False}
        if not isinstance(value, str | bool) or value not in choices:
            raise InvalidInput('[linkage] family_guards must be "auto", "on" or "off"', where=where)
        out["family_guards"] = choices[value]
    known = set(FIELDS) | RULE_COLUMNS | {f"id_{name}" for name in other_ids}
    if "blocking_rules" in raw:
        rules = raw["blocking_rules"]
        if (not isinstance(rules, list) or not rules
                or not all(isinstance(r, str) and r.strip() for r in rules)):
            raise InvalidInput("[linkage] blocking_rules must be a list of SQL conditions "
                               'such as "l.surname = r.surname"', where=where)
        for rule in rules:
            named = re.findall(r"\b[lr]\.([A-Za-z_][A-Za-z0-9_]*)", rule)
            if not named:
                raise InvalidInput(f"[linkage] blocking_rules: {rule!r} names no column as l.<column> "
                                   "and r.<column>", where=where)
            strange = sorted(set(named) - known)
            if strange:
                raise InvalidInput(f"[linkage] blocking_rules: {rule!r} names unknown column "
                                   f"{strange[0]!r}; it may use the fields and: "
                                   f"{', '.join(sorted(RULE_COLUMNS))}", where=where)
        out["blocking_rules"] = tuple(r.strip() for r in rules)
    if "compare" in raw:
        compare = raw["compare"]
        if (not isinstance(compare, list) or not compare
                or not all(isinstance(c, str) for c in compare)):
            raise InvalidInput("[linkage] compare must be a list of field names", where=where)
        mapped = set(columns) | {f"id_{name}" for name in other_ids}
        if "full_name" in columns:
            mapped |= {"first_name", "surname", "middle_names"}
        strange = sorted(set(compare) - mapped)
        if strange:
            raise InvalidInput(f'[linkage] compare names "{strange[0]}", which is not mapped in '
                               f'[columns]; mapped: {", ".join(sorted(mapped))}', where=where)
        out["compare"] = tuple(compare)
    return out


def read_records_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as strings, whitespace stripped from headers and values."""
    where = str(path)
    if not Path(path).is_file():
        raise InvalidInput("input file not found", where=where)
    suffix = Path(path).suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path).astype("string")
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                sep="\t" if suffix == ".tsv" else ",")
        else:
            raise InvalidInput("unsupported file type; use .csv or .parquet", where=where)
    except InvalidInput:
        raise
    except Exception as error:  # pandas/pyarrow parse errors vary by version
        raise InvalidInput(f"could not read the file: {error}", where=where) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip())
    return frame.astype(object).where(frame.notna() & (frame != ""), None)


def to_standard_table(frame: pd.DataFrame, mapping: Mapping, where: str) -> pd.DataFrame:
    """The standard input table for the engine, from a file and its mapping."""
    missing = sorted(mapping.input_columns() - set(frame.columns))
    if missing:
        raise InvalidInput(
            f"the mapping names columns the file does not have: {', '.join(missing)}; "
            f"the file has: {', '.join(frame.columns)}", where=where)
    ids = frame[mapping.id]
    if ids.isna().any():
        rows = [str(i + 2) for i in ids[ids.isna()].index[:5]]
        raise InvalidInput(f"empty id in column {mapping.id!r} on line(s) {', '.join(rows)}",
                           where=where)
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise InvalidInput(f"ids in column {mapping.id!r} are not unique: "
                           f"{', '.join(map(str, repeated[:5]))}", where=where)
    table = pd.DataFrame({"record_id": ids.astype(str)})
    table["source"] = frame[mapping.source] if mapping.source else Path(where).stem
    for name, cols in mapping.columns.items():
        if len(cols) == 1:
            table[name] = frame[cols[0]]
        else:
            joined = frame[cols].apply(
                lambda row: " ".join(str(v) for v in row if v is not None), axis=1)
            table[name] = joined.where(joined != "", None)
    if "date_of_birth" in table:
        table["date_of_birth"] = table["date_of_birth"].map(
            lambda v: parse_date(v, mapping.date_formats))
    for name, col in mapping.other_ids.items():
        table[f"id_{name}"] = frame[col]
    return table


def truth_entities(frame: pd.DataFrame, mapping: Mapping) -> pd.Series | None:
    """True entity per record id, when the mapping says where truth is."""
    if not mapping.truth:
        return None
    values = frame[mapping.truth].astype(str)
    if mapping.truth_pattern:
        values = values.str.extract(mapping.truth_pattern)[0].fillna(values)
    return pd.Series(values.values, index=frame[mapping.id].astype(str).values)
