"""Assessment figures match an independent computation by hand (numpy) on a small fixed dataset."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from famlink.core.assessment import AssessmentInput, assess
from famlink.core.assessment import groups as g
from famlink.core.assessment.overall import at_threshold, household_weights
from famlink.core.registers import load_algorithms

Y = np.array([0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0])
P = np.array([0.1, 0.2, 0.7, 0.3, 0.35, 0.9, 0.05, 0.4, 0.6, 0.15, 0.25, 0.8, 0.45, 0.12, 0.22, 0.5, 0.33, 0.65, 0.08, 0.55])
BASE = np.round(P * 0.5 + 0.2 * (np.arange(20) % 3 == 0), 4)
HOUSE = np.repeat(np.arange(10), 2)
GROUP = np.array(["x"] * 12 + ["y"] * 8)


def hand_auroc(y: np.ndarray, p: np.ndarray) -> float:
    pos, neg = p[y == 1], p[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def hand_average_precision(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p)
    hits = y[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(y) + 1)
    return float((precision_at * hits).sum() / hits.sum())


@pytest.fixture
def figures():  # type: ignore[no-untyped-def]
    entry = next(e for e in load_algorithms() if e.id == "early-help-v1")
    entry = dataclasses.replace(entry, operating_threshold=0.5)
    data = AssessmentInput(Y, P, BASE, HOUSE, pd.DataFrame({"grp": GROUP}))
    return assess(entry, data, n_boot=200, group_boot=200, min_cell=5, seed=1)


def test_discrimination_matches_hand_computation(figures) -> None:  # type: ignore[no-untyped-def]
    d = figures["discrimination"]
    assert d["auroc"] == pytest.approx(hand_auroc(Y, P))
    assert d["baseline_auroc"] == pytest.approx(hand_auroc(Y, BASE))
    assert d["auprc"] == pytest.approx(hand_average_precision(Y, P))
    assert d["brier"] == pytest.approx(np.mean((P - Y) ** 2))
    assert d["auroc_ci"][0] <= d["auroc"] <= d["auroc_ci"][1]
    assert d["bootstrap_unit"] == "household"


def test_threshold_figures_match_hand_counts(figures) -> None:  # type: ignore[no-untyped-def]
    flag = P >= 0.5
    tp, fp = int((flag & (Y == 1)).sum()), int((flag & (Y == 0)).sum())
    fn, tn = int((~flag & (Y == 1)).sum()), int((~flag & (Y == 0)).sum())
    t = figures["at_threshold"]
    assert (t["true_positives"], t["false_positives"], t["false_negatives"], t["true_negatives"]) == (tp, fp, fn, tn)
    assert t["ppv"] == pytest.approx(tp / (tp + fp))
    assert t["sensitivity"] == pytest.approx(tp / (tp + fn))
    assert t["fpr"] == pytest.approx(fp / (fp + tn))
    assert t["fnr"] == pytest.approx(fn / (fn + tp))
    assert t["npv"] == pytest.approx(tn / (tn + fn))
    assert t["flagged_per_true_case"] == pytest.approx((tp + fp) / tp)


def test_calibration_in_the_large_and_deciles(figures) -> None:  # type: ignore[no-untyped-def]
    cal = figures["calibration"]
    assert cal["observed_rate"] == pytest.approx(Y.mean())
    assert cal["mean_score"] == pytest.approx(P.mean())
    # with slope fixed at 1, the fitted intercept makes mean predicted equal mean observed
    logit = np.log(P / (1 - P))
    assert np.mean(1 / (1 + np.exp(-(cal["intercept"] + logit)))) == pytest.approx(Y.mean(), abs=1e-6)
    assert len(cal["curve"]) == 10


def test_group_figures_and_ratios_match_hand_computation(figures) -> None:  # type: ignore[no-untyped-def]
    block = figures["by_group"]["grp"]
    assert block["reference"] == "x"
    flag = P >= 0.5
    by = {item["group"]: item for item in block["groups"]}
    for name in ("x", "y"):
        m = name == GROUP
        yy, ff = Y[m], flag[m]
        assert by[name]["count"] == m.sum()
        assert by[name]["base_rate"] == pytest.approx(yy.mean())
        assert by[name]["selection_rate"] == pytest.approx(ff.mean())
        assert by[name]["fpr"] == pytest.approx((ff & (yy == 0)).sum() / (yy == 0).sum())
        assert by[name]["fnr"] == pytest.approx((~ff & (yy == 1)).sum() / (yy == 1).sum())
        assert by[name]["share_of_flags"] == pytest.approx(ff.sum() / flag.sum())
    assert by["y"]["ratios"]["selection_rate"]["ratio"] == pytest.approx(flag[GROUP == "y"].mean() / flag[GROUP == "x"].mean())


def test_small_groups_are_suppressed() -> None:
    codes, draws = household_weights(HOUSE, 20, 0)
    out = g.by_group(Y, P, 0.5, pd.DataFrame({"grp": GROUP}), codes, draws, min_cell=10)
    y_group = next(i for i in out["grp"]["groups"] if i["group"] == "y")
    assert y_group["suppressed"] and "fpr" not in y_group


def test_bootstrap_counting_agrees_with_fairlearn_at_unit_weights() -> None:
    flag = (P >= 0.5).astype(int)
    names, codes = np.unique(GROUP, return_inverse=True)
    cells = np.bincount(codes * 4 + Y * 2 + flag, minlength=len(names) * 4).reshape(-1, 4)
    rates = g._rates(cells.astype(float))
    frame = g._frame(Y, flag, pd.Series(GROUP))
    for i, name in enumerate(names):
        for j, metric in enumerate(g.RATIO_METRICS):
            assert rates[i, j] == pytest.approx(frame.loc[name, metric])


def test_family_bootstrap_draws_whole_households() -> None:
    codes, draws = household_weights(HOUSE, 5, 0)
    for counts in draws:
        w = counts[codes]
        assert (w[0::2] == w[1::2]).all()  # both children of a family always drawn together
        assert counts.sum() == 10


def test_at_threshold_with_nobody_flagged_has_no_ppv() -> None:
    assert at_threshold(Y, P, 0.99)["ppv"] is None
