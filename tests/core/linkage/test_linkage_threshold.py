"""The threshold estimated from the model: the lowest one whose expected precision reaches the target."""

import pandas as pd
import pytest

from famlink.core.linkage.decision import (
    FINE_THRESHOLD_GRID,
    THRESHOLD_GRID,
    choose_threshold,
    expected_quality,
)


def test_expected_precision_is_the_mean_probability_above_the_threshold():
    probabilities = pd.Series([0.99, 0.95, 0.9, 0.6, 0.3])
    point = expected_quality(probabilities, 0.9)
    assert point["precision"] == pytest.approx((0.99 + 0.95 + 0.9) / 3)
    assert point["recall"] == pytest.approx((0.99 + 0.95 + 0.9) / probabilities.sum())


def test_the_lowest_threshold_reaching_the_target_is_chosen_and_said():
    # 100 sure pairs, 10 at 0.72, 10 at 0.45: mean above 0.7 = (100 + 7.2) / 110 = 0.975
    probabilities = pd.Series([1.0] * 100 + [0.72] * 10 + [0.45] * 10)
    threshold, reason, curve = choose_threshold(probabilities, 0.97, FINE_THRESHOLD_GRID)
    assert threshold == 0.5  # above 0.5: the same 110 pairs
    assert "precision >= 0.97" in reason and "expected precision 0.975" in reason
    assert [p["threshold"] for p in curve] == list(FINE_THRESHOLD_GRID)
    stricter, _, _ = choose_threshold(probabilities, 0.98, FINE_THRESHOLD_GRID)
    assert stricter == 0.75  # 0.72 pairs must go
    family, _, _ = choose_threshold(probabilities)  # family records: 0.995 on the coarser grid
    assert family == 0.8 and family in THRESHOLD_GRID  # 0.75 is not on the family grid


def test_no_threshold_reaching_the_target_falls_back_to_the_default_and_says_so():
    threshold, reason, _ = choose_threshold(pd.Series([0.5] * 10 + [0.999] * 3), 0.9999, FINE_THRESHOLD_GRID)
    assert threshold == 0.9 and reason.startswith("default")
