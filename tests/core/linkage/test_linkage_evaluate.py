"""Evaluation measures against a tiny example worked out by hand."""

import pandas as pd
import pytest

from famlink.core.linkage.evaluate import (
    blocking_recall_ceiling,
    cluster_quality,
    pair_quality,
    precision_recall_curve,
)

# records a..f. Truth: {a,b,c} {d,e} {f}. Predicted: {a,b} {c,d,e} {f}.
TRUTH = pd.Series({"a": "1", "b": "1", "c": "1", "d": "2", "e": "2", "f": "3"})
PREDICTED = pd.Series({"a": "x", "b": "x", "c": "y", "d": "y", "e": "y", "f": "z"})


def test_pairwise_counts_by_hand():
    # true pairs: ab ac bc de = 4. predicted pairs: ab cd ce de = 4. both: ab de = 2.
    q = cluster_quality(PREDICTED, TRUTH)
    assert (q.true_positives, q.predicted_pairs, q.true_pairs) == (2, 4, 4)
    assert q.precision == pytest.approx(0.5)
    assert q.recall == pytest.approx(0.5)
    assert q.f1 == pytest.approx(0.5)


def test_bcubed_by_hand():
    # per-record precision: a 2/2 b 2/2 c 1/3 d 2/3 e 2/3 f 1/1 -> 5.6667/6
    # per-record recall:    a 2/3 b 2/3 c 1/3 d 2/2 e 2/2 f 1/1 -> 4.6667/6
    q = cluster_quality(PREDICTED, TRUTH)
    assert q.bcubed_precision == pytest.approx((2 + 1 / 3 + 4 / 3 + 1) / 6)
    assert q.bcubed_recall == pytest.approx((4 / 3 + 1 / 3 + 2 + 1) / 6)
    # only {f} is reproduced exactly, out of 3 true entities
    assert q.entities_exact == pytest.approx(1 / 3)


def test_perfect_clustering():
    q = cluster_quality(TRUTH, TRUTH)
    assert q.precision == q.recall == q.f1 == q.bcubed_f1 == q.entities_exact == 1.0


def test_scored_pairs_and_blocking_ceiling():
    pairs = pd.DataFrame(
        {
            "record_id_l": ["a", "a", "c", "d"],
            "record_id_r": ["b", "c", "d", "e"],
            "match_probability": [0.99, 0.4, 0.95, 0.9],
        }
    )
    at_09 = pair_quality(pairs, TRUTH, 0.9)  # ab(true) cd(false) de(true)
    assert at_09["precision"] == pytest.approx(2 / 3)
    assert at_09["recall"] == pytest.approx(2 / 4)
    # blocking generated ab ac de of the 4 true pairs (bc never generated)
    assert blocking_recall_ceiling(pairs, TRUTH) == pytest.approx(3 / 4)


def test_curve_clusters_each_threshold():
    pairs = pd.DataFrame(
        {"record_id_l": ["a", "b"], "record_id_r": ["b", "c"], "match_probability": [0.99, 0.8]}
    )
    curve = precision_recall_curve(pairs, TRUTH, thresholds=(0.5, 0.9))
    # at 0.5 a-b-c chain into one cluster: all 3 pairs of entity 1 found
    assert curve.loc[0, "clusters_recall"] == pytest.approx(3 / 4)
    assert curve.loc[1, "clusters_recall"] == pytest.approx(1 / 4)
