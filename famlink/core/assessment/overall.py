"""Whole-population figures: discrimination, calibration, and the operating threshold."""

from __future__ import annotations

from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    roc_auc_score,
)

EPS = 1e-6


def household_weights(households: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes for each row's household, and per-resample household counts (a cluster bootstrap).

    Drawing households with replacement and weighting each row by how many
    times its household was drawn is the same as copying the rows, but
    cheaper; scikit-learn metrics take the weights directly.
    """
    _, codes = np.unique(households, return_inverse=True)
    n = int(codes.max()) + 1 if len(codes) else 0
    rng = np.random.default_rng(seed)
    return codes, [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]


def _discrimination(y: np.ndarray, p: np.ndarray, base: np.ndarray, w: np.ndarray | None) -> tuple[float, ...]:
    auroc = roc_auc_score(y, p, sample_weight=w)
    auroc_b = roc_auc_score(y, base, sample_weight=w)
    return (
        auroc,
        average_precision_score(y, p, sample_weight=w),
        auroc_b,
        average_precision_score(y, base, sample_weight=w),
        brier_score_loss(y, p, sample_weight=w),
        auroc - auroc_b,
    )


def _chunk(y: np.ndarray, p: np.ndarray, base: np.ndarray, codes: np.ndarray, draws: list[np.ndarray]) -> list[tuple[float, ...]]:
    out = []
    for counts in draws:
        w = counts[codes]
        keep = w > 0
        yk = y[keep]
        if yk.min() == yk.max():
            continue  # a resample with no cases (or only cases) has no AUROC
        out.append(_discrimination(yk, p[keep], base[keep], w[keep].astype(float)))
    return out


def discrimination(
    y: np.ndarray, p: np.ndarray, base: np.ndarray, households: np.ndarray, *, n_boot: int, seed: int, jobs: int = 1
) -> dict[str, Any]:
    """AUROC, AUPRC, Brier for model and baseline, with family-bootstrap 95% intervals."""
    names = ("auroc", "auprc", "baseline_auroc", "baseline_auprc", "brier", "auroc_gain")
    order = np.argsort(p, kind="stable")  # scikit-learn's own sort is then near linear
    y, p, base, households = y[order], p[order], base[order], households[order]
    point = _discrimination(y, p, base, None)
    codes, draws = household_weights(households, n_boot, seed)
    chunks = [draws[i::jobs] for i in range(jobs)] if jobs > 1 else [draws]
    runs = Parallel(n_jobs=jobs)(delayed(_chunk)(y, p, base, codes, c) for c in chunks) if jobs > 1 else [_chunk(y, p, base, codes, draws)]
    samples = np.array([s for run in runs for s in run]).reshape(-1, len(names))
    out: dict[str, Any] = {"bootstrap_resamples": len(samples), "bootstrap_unit": "household"}
    for i, name in enumerate(names):
        low, high = (np.quantile(samples[:, i], [0.025, 0.975]) if len(samples) else (np.nan, np.nan))
        out[name] = float(point[i])
        out[f"{name}_ci"] = [float(low), float(high)]
    return out


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Calibration by decile of score, and the logistic recalibration intercept and slope.

    Slope: coefficient of logit(score) in a logistic regression of outcome on
    logit(score) (1 is perfect; below 1 means scores are too extreme).
    Intercept: calibration-in-the-large, the intercept with the slope fixed
    at 1 (0 is perfect; negative means scores are too high on average).
    """
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    logit = np.log(np.clip(p, EPS, 1 - EPS) / (1 - np.clip(p, EPS, 1 - EPS)))
    fit = LogisticRegression(C=np.inf, max_iter=1000).fit(logit.reshape(-1, 1), y)
    # Intercept with slope fixed at 1: a one-parameter fit with logit(p) as offset.
    intercept = _offset_intercept(y, logit)
    return {
        "curve": [{"mean_score": float(a), "observed_rate": float(b)} for a, b in zip(predicted, observed, strict=True)],
        "slope": float(fit.coef_[0][0]),
        "intercept": float(intercept),
        "mean_score": float(p.mean()),
        "observed_rate": float(y.mean()),
    }


def _offset_intercept(y: np.ndarray, offset: np.ndarray) -> float:
    """Solve sum(y - expit(a + offset)) = 0 for a by Newton's method (a 1-D logistic fit)."""
    a = 0.0
    for _ in range(50):
        mu = 1 / (1 + np.exp(-(a + offset)))
        step = (y - mu).sum() / max((mu * (1 - mu)).sum(), EPS)
        a += step
        if abs(step) < 1e-10:
            break
    return a


def at_threshold(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """What happens if everyone at or above the threshold is flagged."""
    flagged = (p >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, flagged, labels=[0, 1]).ravel()

    def ratio(a: float, b: float) -> float | None:
        return float(a / b) if b else None

    return {
        "threshold": threshold,
        "selected": int(tp + fp),
        "selection_rate": ratio(tp + fp, len(y)),
        "true_positives": int(tp),
        "false_positives": int(fp),
        "false_negatives": int(fn),
        "true_negatives": int(tn),
        "ppv": ratio(tp, tp + fp),
        "sensitivity": ratio(tp, tp + fn),
        "fpr": ratio(fp, fp + tn),
        "fnr": ratio(fn, fn + tp),
        "npv": ratio(tn, tn + fn),
        "flagged_per_true_case": ratio(tp + fp, tp),
    }
