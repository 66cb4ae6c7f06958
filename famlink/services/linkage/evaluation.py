"""How good the stored persons are: scored against a truth file, with a precision-recall chart.

The synthetic world and the labelled benchmark sets come with truth files;
this is what ``famlink linkage evaluate`` and the linkage benches report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from famlink.adapters.storage.linkage.models import latest_run
from famlink.adapters.storage.linkage.store import assignments_frame, run_links
from famlink.core.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # pandas loads only when evaluating
    import pandas as pd


def evaluate_against_truth(truth_path: Path, chart_dir: Path | None = None) -> dict[str, Any]:
    """Pairwise, B-cubed and exact-entity quality of the stored persons against a truth file.

    The truth file has ``source,record_key,person_id`` and optionally
    ``wrong_person`` (1 where the agency keyed the record with another
    person's identifiers). Records are joined on (source name, local id); rows
    never ingested (quarantined) are not counted. The headline figures leave
    out wrong-person records, which no linkage can place by their
    identifiers: that is a source error for a parent to report, not a linkage
    error. ``all_records`` gives the figures with them included.
    """
    import pandas as pd

    from famlink.core.linkage.evaluate import cluster_quality

    try:
        header = pd.read_csv(truth_path, dtype=str, nrows=0).columns
        columns = ["source", "record_key", "person_id"] + (["wrong_person"] if "wrong_person" in header else [])
        truth = pd.read_csv(truth_path, dtype=str, usecols=columns)
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot read the truth file: {error}", where=str(truth_path)) from error
    stored = assignments_frame()
    everything = stored.merge(truth, left_on=["source", "local_id"], right_on=["source", "record_key"])
    if everything.empty:
        raise InvalidInput("no stored record matches a (source, record_key) row", where=str(truth_path))
    everything["record_id"] = everything["record_id"].astype(str)
    miskeyed = everything["wrong_person"].fillna("0") == "1" if "wrong_person" in everything else pd.Series(False, index=everything.index)
    joined = everything[~miskeyed]
    predicted = joined.set_index("record_id")["person"]
    actual = joined.set_index("record_id")["person_id"]
    q = cluster_quality(predicted, actual)
    q_all = cluster_quality(everything.set_index("record_id")["person"], everything.set_index("record_id")["person_id"])
    summary: dict[str, Any] = {
        "records_evaluated": len(joined), "records_stored": len(stored), "records_keyed_to_wrong_person": int(miskeyed.sum()),
        "all_records": {"pairwise": {"precision": q_all.precision, "recall": q_all.recall, "f1": q_all.f1},
                        "bcubed": {"precision": q_all.bcubed_precision, "recall": q_all.bcubed_recall, "f1": q_all.bcubed_f1}},
        "pairwise": {"precision": q.precision, "recall": q.recall, "f1": q.f1,
                     "true_positives": q.true_positives, "predicted_pairs": q.predicted_pairs,
                     "true_pairs": q.true_pairs},
        "bcubed": {"precision": q.bcubed_precision, "recall": q.bcubed_recall, "f1": q.bcubed_f1},
        "entities_exact": q.entities_exact,
        "threshold": latest_run().threshold,  # type: ignore[union-attr]
    }
    if chart_dir is not None:
        summary["chart"] = _chart(joined, actual, chart_dir)
    return summary


def _chart(joined: pd.DataFrame, actual: pd.Series, chart_dir: Path) -> list[str]:
    """PR chart over the stored links (identical-detail links always kept)."""

    from famlink.core.linkage.evaluate import precision_recall_curve, write_curve_chart

    run = latest_run()
    if run is None:
        raise NotFound("no linkage run yet: run famlink link first")
    links = run_links(run).astype({"record_id_l": str, "record_id_r": str})
    curve = precision_recall_curve(links, actual, record_ids=joined["record_id"].tolist())
    png, html = write_curve_chart(curve, chart_dir, "famlink linkage: stored links against truth")
    return [str(png), str(html)]
