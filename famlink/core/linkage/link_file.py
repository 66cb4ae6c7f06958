"""``famlink link-file``: link one file of records and write ``id,cluster_id``."""

from __future__ import annotations

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
) -> dict[str, Any]:
    """Link the records in ``input_path`` with ``engine`` and write one ``id,cluster_id`` row per input row.

    Returns a summary: counts, the threshold and why it was chosen, timings,
    and (when the mapping names a truth column) pairwise, B-cubed and
    blocking-ceiling quality measures. Nothing is written if anything fails.
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
    records = to_standard_table(frame, mapping, str(input_path))
    say(f"linking {len(records):,} records with the {engine.name} engine")
    result = engine.link(records, threshold=threshold, collect_candidates=mapping.truth is not None)
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
        "blocking_rules": len(result.stats.get("blocking_rules", [])),
        "timings": result.stats.get("timings"),
    }
    if mapping.truth:
        summary["quality"] = _quality(truth_entities(frame, mapping), result)
    summary["wall_time_s"] = round(time.perf_counter() - started, 2)
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
