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

    [date_of_birth]
    formats = ["%Y%m%d"]              # strptime-style; tried in order
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from famlink.core.errors import InvalidInput
from famlink.core.linkage.normalise import DEFAULT_DATE_FORMATS, parse_date

FIELDS = ("first_name", "middle_names", "surname", "full_name", "date_of_birth", "sex",
          "postcode", "address", "city", "email", "nhs_number", "upn")


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
                   date_formats=tuple(formats))


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
