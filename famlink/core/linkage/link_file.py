"""``famlink link-file``: link one file of records and write ``id,cluster_id``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from famlink.core.errors import InvalidInput
from famlink.core.linkage.engine import LinkageEngine
from famlink.core.linkage.mapping import (
    load_mapping,
    read_records_file,
    to_standard_table,
    truth_entities,
)


def link_file(
    input_path: str | Path,
    mapping_path: str | Path,
    out_path: str | Path,
    engine: LinkageEngine,
    threshold: float | None = None,
    *,
    report: Callable[[str], None] | None = None,
    max_pairs: int | None = None,
    family_guards: bool | None = None,
    report_path: str | Path | None = None,
) -> dict[str, Any]:
    """Link the records in ``input_path`` with ``engine`` and write one ``id,cluster_id`` row per input row.

    Returns a summary: counts, the threshold and why it was chosen, the
    blocking rules and how they were chosen, timings, and (when the mapping
    names a truth column) pairwise, B-cubed and blocking-ceiling quality
    measures; ``report_path`` also gets it as JSON. ``max_pairs`` and
    ``family_guards`` override the mapping's ``[linkage]`` settings. Nothing
    is written if anything fails.
    """
    say = report or (lambda _message: None)
    started = time.perf_counter()
    if threshold is not None and not 0 < threshold < 1:
        raise InvalidInput(f"threshold must be between 0 and 1, not {threshold}")
    mapping = load_mapping(Path(mapping_path))
    say(f"reading {input_path}")
    frame = read_records_file(Path(input_path))
    if frame.empty:
        raise InvalidInput("the file has no records", where=str(input_path))
    if max_pairs is not None and max_pairs < 1:
        raise InvalidInput(f"max pairs must be 1 or more, not {max_pairs}")
    records = to_standard_table(frame, mapping, str(input_path))
    if mapping.compare:
        keep = {"record_id", "source", *mapping.compare}
        if keep & {"first_name", "surname", "middle_names"}:
            keep.add("full_name")  # the names are split from it when not mapped on their own
        records = records[[c for c in records.columns if c in keep]]
    say(f"linking {len(records):,} records with the {engine.name} engine")
    result = engine.link(
        records, threshold=threshold, collect_candidates=mapping.truth is not None,
        max_pairs=max_pairs or mapping.max_pairs, blocking_rules=list(mapping.blocking_rules) or None,
        target_precision=mapping.target_precision,
        family_guards=mapping.family_guards if family_guards is None else family_guards)
    blocking = result.stats.get("blocking", {})
    say(f"blocking: {blocking.get('how', 'fixed rules')}"
        + (f", expected recall {blocking['expected_recall']:.3f}" if "expected_recall" in blocking else ""))
    for rule in blocking.get("rules", []):
        say(f"  {rule}")
    out = pd.DataFrame({"id": records["record_id"],
                        "cluster_id": records["record_id"].map(result.clusters)})
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    out.to_csv(partial, index=False)
    partial.replace(out_path)  # never a half-written output
    summary: dict[str, Any] = {
        "records": len(records), "clusters": int(out["cluster_id"].nunique()),
        "threshold": result.threshold, "threshold_reason": result.threshold_reason,
        "engine": engine.name, "output": str(out_path),
        "pairs_scored": result.stats.get("comparisons_scored"),
        "pairs_linked": result.stats.get("pairs_linked"),
        "pairs_held_back_by_family_guards": result.stats.get("pairs_held_back"),
        "family_guards": result.stats.get("family_guards"),
        "blocking_rules": result.stats.get("blocking_rules", []),
        "blocking": blocking,
        "expected_quality": result.stats.get("expected_quality"),
        "timings": result.stats.get("timings"),
    }
    if mapping.truth:
        summary["quality"] = _quality(truth_entities(frame, mapping), result)
    summary["wall_time_s"] = round(time.perf_counter() - started, 2)
    if report_path is not None:
        report_file = Path(report_path)
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary


def _quality(truth: pd.Series, result: Any) -> dict[str, Any]:
    from famlink.core.linkage.evaluate import (
        blocking_recall_ceiling,
        cluster_quality,
        pair_quality,
    )

    predicted = pd.Series(result.clusters).reindex(truth.index)
    quality: dict[str, Any] = cluster_quality(predicted, truth).as_dict()
    quality["scored_pairs"] = pair_quality(result.pairs, truth, result.threshold)
    candidates = result.stats.get("candidate_pairs")
    quality["blocking_recall_ceiling"] = (
        1.0 if candidates is None else blocking_recall_ceiling(candidates, truth))
    return quality
