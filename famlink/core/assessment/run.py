"""One assessment: every figure, then pass/fail against criteria written beforehand."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from famlink.core.assessment import groups as g
from famlink.core.assessment import overall
from famlink.core.errors import InvalidInput
from famlink.core.registers.algorithms import AlgorithmEntry, Criterion

MIN_CELL = 50


@dataclass
class AssessmentInput:
    """Outcomes, scores and group attributes for one later period, one row per child."""

    y: np.ndarray
    score: np.ndarray
    baseline: np.ndarray
    households: np.ndarray
    attributes: pd.DataFrame
    period: str = ""
    notes: list[str] = field(default_factory=list)

    def check(self) -> None:
        n = len(self.y)
        if n == 0:
            raise InvalidInput("there is nobody to assess in this period")
        if any(len(a) != n for a in (self.score, self.baseline, self.households, self.attributes)):
            raise InvalidInput("outcomes, scores, households and groups must have one row per child")
        if self.y.min() == self.y.max():
            raise InvalidInput("the assessment period has no referrals (or only referrals); it cannot be assessed")


def check_criteria(criteria: tuple[Criterion, ...], headline: dict[str, float | None]) -> list[dict[str, Any]]:
    """Each criterion with the figure it was tested on and whether it passed."""
    results = []
    for c in criteria:
        figure = headline.get(c.metric)
        results.append({"metric": c.metric, "op": c.op, "value": c.value, "why": c.why, "figure": figure, "passed": c.passes(figure)})
    return results


def assess(
    entry: AlgorithmEntry,
    data: AssessmentInput,
    *,
    n_boot: int = 1000,
    group_boot: int = 200,
    min_cell: int = MIN_CELL,
    seed: int = 0,
    jobs: int = 1,
    trained: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every figure in one JSON-ready dict, including ``passed``."""
    data.check()
    y = data.y.astype(int)
    p = data.score.astype(float)
    disc = overall.discrimination(y, p, data.baseline.astype(float), data.households, n_boot=n_boot, seed=seed, jobs=jobs)
    cal = overall.calibration(y, p)
    base_cal = overall.calibration(y, data.baseline.astype(float))
    thresh = overall.at_threshold(y, p, entry.operating_threshold)
    base_thresh = overall.at_threshold(y, data.baseline.astype(float), entry.operating_threshold)
    codes, draws = overall.household_weights(data.households, group_boot, seed + 1)
    by_group = g.by_group(y, p, entry.operating_threshold, data.attributes, codes, draws, min_cell=min_cell)
    outside, clear, lines = g.disparity_flags(by_group)
    headline: dict[str, float | None] = {
        "auroc": disc["auroc"],
        "auroc_ci_low": disc["auroc_ci"][0],
        "auprc": disc["auprc"],
        "auprc_ci_low": disc["auprc_ci"][0],
        "brier": disc["brier"],
        "baseline_auroc": disc["baseline_auroc"],
        "auroc_gain": disc["auroc_gain"],
        "auroc_gain_ci_low": disc["auroc_gain_ci"][0],
        "calibration_slope": cal["slope"],
        "calibration_intercept": cal["intercept"],
        "ppv": thresh["ppv"],
        "sensitivity": thresh["sensitivity"],
        "fpr": thresh["fpr"],
        "fnr": thresh["fnr"],
        "npv": thresh["npv"],
        "selection_rate": thresh["selection_rate"],
        "flagged_per_true_case": thresh["flagged_per_true_case"],
        "disparity_outside_band": float(outside),
        "disparity_flags": float(clear),
    }
    results = check_criteria(entry.criteria, headline)
    return {
        "model_id": entry.id,
        "model_version": entry.version,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "period": data.period,
        "population": {
            "children": len(y),
            "families": len(np.unique(data.households)),
            "referred": int(y.sum()),
            "base_rate": float(y.mean()),
        },
        "trained": trained or {},
        "criteria_written_on": entry.criteria_written_on.isoformat(),
        "criteria_sha256": entry.criteria_sha256,
        "settings": {"bootstrap_resamples": n_boot, "group_bootstrap_resamples": group_boot, "min_cell": min_cell, "seed": seed, "band": list(g.BAND)},
        "discrimination": disc,
        "calibration": cal,
        "baseline_calibration": base_cal,
        "at_threshold": thresh,
        "baseline_at_threshold": base_thresh,
        "by_group": by_group,
        "disparities": lines,
        "headline": headline,
        "criteria": results,
        "passed": all(r["passed"] for r in results),
        "notes": data.notes,
        "data_sha256": hashlib.sha256(np.ascontiguousarray(np.c_[y, p]).tobytes()).hexdigest(),
    }
