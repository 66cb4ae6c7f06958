"""Figures by group (fairlearn ``MetricFrame``) and disparity ratios with family-bootstrap intervals.

Each group is compared with a reference group: the largest group of that
attribute, so the comparison is with the families the model mostly sees.
A ratio outside 0.8-1.25 (the "four-fifths" band, both ways) is flagged;
it counts against the pass/fail criteria only when its 95% interval also
excludes 1, so that noise in a small group does not fail a model on its own.
Groups smaller than the minimum cell size are suppressed: no figures.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import precision_score

BAND = (0.8, 1.25)
RATIO_METRICS = ("selection_rate", "fpr", "fnr", "ppv")


def _count(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight))


def _base_rate(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.average(y_true, weights=sample_weight))


def _metrics() -> dict[str, Any]:
    return {
        "count": _count,
        "base_rate": _base_rate,
        "selection_rate": selection_rate,
        "ppv": functools.partial(precision_score, zero_division=np.nan),
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
    }


def _frame(y: np.ndarray, flagged: np.ndarray, attribute: pd.Series) -> pd.DataFrame:
    """fairlearn's figures by group, computed on (group, outcome, flag) cells weighted by size.

    Every figure here depends only on those cell counts, so this is exact;
    it avoids fairlearn's per-row Python loop, which takes seconds per
    metric on 200,000 rows.
    """
    cells = (
        pd.DataFrame({"group": attribute.to_numpy(), "y": y, "flag": flagged})
        .groupby(["group", "y", "flag"], observed=True)
        .size()
        .reset_index(name="n")
    )
    weights = cells["n"].to_numpy(dtype=float)
    frame = MetricFrame(
        metrics=_metrics(),
        y_true=cells["y"].to_numpy(),
        y_pred=cells["flag"].to_numpy(),
        sensitive_features=cells["group"],
        sample_params={name: {"sample_weight": weights} for name in _metrics()},
    )
    return frame.by_group


def by_group(
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    attributes: pd.DataFrame,
    codes: np.ndarray,
    draws: list[np.ndarray],
    *,
    min_cell: int,
) -> dict[str, Any]:
    """For each attribute: per-group figures, calibration (observed / expected), and ratios."""
    flagged = (p >= threshold).astype(int)
    total_flags = max(int(flagged.sum()), 1)
    out: dict[str, Any] = {}
    for name in attributes.columns:
        column = attributes[name].astype(str)
        point = _frame(y, flagged, column)
        sizes = column.value_counts()
        reference = str(sizes.index[0])
        boot = _bootstrap_ratios(y, flagged, column, codes, draws, reference)
        groups = []
        for group, row in point.iterrows():
            size = int(sizes[group])
            item: dict[str, Any] = {"group": str(group), "count": size, "reference": str(group) == reference}
            if size < min_cell:
                item["suppressed"] = True
                groups.append(item)
                continue
            mask = (column == group).to_numpy()
            expected = float(p[mask].mean())
            item.update(
                suppressed=False,
                base_rate=_num(row["base_rate"]),
                selection_rate=_num(row["selection_rate"]),
                share_of_flags=float(flagged[mask].sum() / total_flags),
                ppv=_num(row["ppv"]),
                fpr=_num(row["fpr"]),
                fnr=_num(row["fnr"]),
                mean_score=expected,
                observed_over_expected=_num(row["base_rate"] / expected if expected else np.nan),
                ratios={},
            )
            ref = point.loc[reference]
            for metric in RATIO_METRICS:
                ratio = row[metric] / ref[metric] if ref[metric] else np.nan
                low, high = boot.get((str(group), metric), (np.nan, np.nan))
                outside = bool(np.isfinite(ratio) and not BAND[0] <= ratio <= BAND[1])
                clear = bool(outside and np.isfinite(low) and (low > 1 or high < 1))
                item["ratios"][metric] = {
                    "ratio": _num(ratio),
                    "ci": [_num(low), _num(high)],
                    "outside_band": outside,
                    "clear": clear,
                }
            groups.append(item)
        out[name] = {"reference": reference, "groups": groups}
    return out


def _bootstrap_ratios(
    y: np.ndarray,
    flagged: np.ndarray,
    column: pd.Series,
    codes: np.ndarray,
    draws: list[np.ndarray],
    reference: str,
) -> dict[tuple[str, str], tuple[float, float]]:
    """95% intervals of each group's ratio to the reference, resampling families.

    The point figures come from fairlearn; here each resample needs only the
    weighted confusion counts per group (one ``bincount``), because running
    ``MetricFrame`` a thousand times per attribute takes minutes. The test
    suite checks these counts give fairlearn's figures when every weight is 1.
    """
    names, group_codes = np.unique(column.to_numpy(), return_inverse=True)
    cell = group_codes * 4 + y * 2 + flagged
    size = len(names) * 4
    ref = int(np.flatnonzero(names == reference)[0])
    rows = []
    for counts in draws:
        cells = np.bincount(cell, weights=counts[codes], minlength=size).reshape(-1, 4)
        rows.append(_rates(cells))
    stacked = np.array(rows)  # resamples x groups x metrics
    out: dict[tuple[str, str], tuple[float, float]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = stacked / stacked[:, ref : ref + 1, :]
    for gi, group in enumerate(names):
        for mi, metric in enumerate(RATIO_METRICS):
            values = ratios[:, gi, mi]
            values = values[np.isfinite(values)]
            if len(values) >= 10:
                out[(str(group), metric)] = tuple(np.quantile(values, [0.025, 0.975]).tolist())
    return out


def _rates(cells: np.ndarray) -> np.ndarray:
    """Per group [selection rate, FPR, FNR, PPV] from counts ordered tn, fp, fn, tp."""
    tn, fp, fn, tp = cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack([(tp + fp) / cells.sum(axis=1), fp / (fp + tn), fn / (fn + tp), tp / (tp + fp)], axis=1)


def disparity_flags(groups: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(ratios outside the band, of which clearly so, descriptions) over every attribute."""
    outside, clear, lines = 0, 0, []
    for attribute, block in groups.items():
        for item in block["groups"]:
            for metric, ratio in item.get("ratios", {}).items():
                if ratio["outside_band"]:
                    outside += 1
                    clear += ratio["clear"]
                    lines.append(
                        f"{attribute}={item['group']}: {metric} ratio {ratio['ratio']:.2f} "
                        f"vs {block['reference']}" + (" (interval excludes 1)" if ratio["clear"] else "")
                    )
    return outside, clear, lines


def _num(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None
