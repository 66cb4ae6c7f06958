"""A ``famlink synth`` folder read back as the features' records table.

Training and assessing an early-help model needs to know who each record is
really about; on synthetic data that is the ground truth (``truth.csv``,
``people.csv``), which only this package writes, so reading it lives here too.
The columns are those the database producer fills (``core.targeting.records``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from famlink.core.errors import InvalidInput
from famlink.core.sources.definition import SourceDefinition
from famlink.core.targeting.records import EXCLUDED_FAMILIES, RECORD_COLUMNS
from famlink.core.taxonomy import RecordCategory


def _column_for(definition: SourceDefinition, field: str) -> tuple[str, dict[str, str], tuple[str, ...]] | None:
    for rule in definition.columns:
        if rule.field == field:
            return rule.column, rule.value_map, rule.formats
    return None


def _extract_frame(definition: SourceDefinition, path: Path) -> pd.DataFrame:
    """One extract's key, category, status, date and attendance, mapped as ingest would."""
    wanted: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {"key": (definition.key_column, {}, ())}
    for name in ("category", "status", "event_date", "attributes.attendance_pct"):
        found = _column_for(definition, name)
        if found:
            wanted[name] = found
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=[c for c, _, _ in wanted.values()])
    out = pd.DataFrame({"record_key": raw[definition.key_column]})
    for name in ("category", "status"):
        if name in wanted:
            column, mapping, _ = wanted[name]
            out[name] = raw[column].map(lambda v, m=mapping: m.get(v, v))
        else:
            out[name] = definition.defaults.get(name, definition.record_categories[0].value if name == "category" else "")
    column, _, formats = wanted["event_date"]
    out["event_date"] = pd.to_datetime(raw[column], format=formats[0], errors="coerce")
    pct = wanted.get("attributes.attendance_pct")
    out["attendance_pct"] = pd.to_numeric(raw[pct[0]], errors="coerce") if pct else float("nan")
    return out


def records_from_synth(synth_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records, people) from a ``famlink synth`` folder, police excluded, bad dates dropped."""
    if not (synth_dir / "truth.csv").is_file():
        raise InvalidInput("not a famlink synth folder (no truth.csv)", where=str(synth_dir))
    truth = pd.read_csv(synth_dir / "truth.csv", dtype=str, usecols=["source", "record_key", "person_id", "household_id"])
    frames = []
    for toml in sorted((synth_dir / "sources").glob("*.toml")):
        definition = SourceDefinition.load(toml)
        if {c.family for c in definition.record_categories} <= EXCLUDED_FAMILIES:
            continue
        frame = _extract_frame(definition, synth_dir / "extracts" / f"{toml.stem}.csv")
        frame["source"] = definition.name
        frames.append(frame)
    records = pd.concat(frames, ignore_index=True).merge(truth, on=["source", "record_key"], how="inner")
    records = records[records["event_date"].notna()]
    allowed = {c.value for c in RecordCategory if c.family not in EXCLUDED_FAMILIES}
    records = records[records["category"].isin(allowed)]
    people = pd.read_csv(synth_dir / "people.csv", dtype=str, keep_default_na=False)
    people["dob"] = pd.to_datetime(people["dob"])
    return records[list(RECORD_COLUMNS)].reset_index(drop=True), people
