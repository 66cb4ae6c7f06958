"""The households step's own pandas work: home keys and stays, and the sensitive address periods.

    .venv/bin/python bench/linkage/households_bench.py --families 28700 [--repeat 3]

Builds what ``rebuild_households`` reads (``households.LIVED``: one row per
record) straight from a ``famlink synth`` run (seed 11, cached under
--work), with each record given to its true person, so no database and no
linkage run are needed. Then times ``_stays`` (home keys included) and,
where the code has it, ``_sensitive_addresses``: the part of the households
step that issue 14 changed. Inserts are not timed here (bench/linkage/run.py
times the whole step).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO))  # after PYTHONPATH: the same data can be timed with another checkout

from bench.linkage.run import synth  # noqa: E402

FIELDS = ("address", "postcode", "event_date", "date_of_birth", "surname", "full_name", "sensitive")


def lived(out: Path) -> pd.DataFrame:
    """``households.LIVED`` for every row of every extract, each given to its true person."""
    truth = pd.read_csv(out / "truth.csv", dtype=str, usecols=["source", "record_key", "person_id"])
    frames = []
    for definition in sorted((out / "sources").glob("*.toml")):
        spec = tomllib.loads(definition.read_text())
        columns = {c["field"]: (name, c) for name, c in spec["columns"].items()}
        rows = pd.read_csv(out / "extracts" / f"{definition.stem}.csv", dtype=str, keep_default_na=False)
        part = pd.DataFrame({"source": definition.stem, "record_key": rows[spec["file"]["key"]]})
        for field in FIELDS:
            if field not in columns:
                part[field] = None
                continue
            name, column = columns[field]
            values = rows[name]
            if column.get("type") == "date":
                values = pd.to_datetime(values, format=column["formats"][0], errors="coerce").dt.date
            elif column.get("type") == "boolean":
                values = values == "true"
            part[field] = values.where(values != "", None) if values.dtype == object else values
        frames.append(part)
    records = pd.concat(frames, ignore_index=True).merge(truth, on=["source", "record_key"])
    records["person_id"] = pd.factorize(records["person_id"])[0]
    records["sensitive"] = records["sensitive"].fillna(False).astype(bool)
    return records[["person_id", *FIELDS]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=2870)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/famlink-bench-linkage"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    import django

    django.setup()  # the module imports its models; nothing here touches a database
    from famlink.adapters.storage.linkage import households

    frame = lived(synth(args.families, args.work))
    print(f"{args.families:,} families, {len(frame):,} records", flush=True)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        stays = households._stays(frame)
        best["stays"] = min(best.get("stays", 1e9), time.perf_counter() - started)
        if hasattr(households, "_sensitive_addresses"):
            started = time.perf_counter()
            periods, residents = households._sensitive_addresses(stays)
            best["sensitive"] = min(best.get("sensitive", 1e9), time.perf_counter() - started)
    print(f"stays: {len(stays):,} in {best['stays']:.2f} s (best of {args.repeat})")
    if "sensitive" in best:
        print(f"sensitive addresses: {len(periods):,} periods protecting {residents['person_id'].nunique():,} "
              f"people, in {best['sensitive']:.3f} s")


if __name__ == "__main__":
    main()
