"""Clustering under cannot-link constraints, and growing existing clusters incrementally."""

from __future__ import annotations

from famlink.core.linkage.constraints import attach_to_clusters


def test_existing_clusters_are_never_split_and_new_records_join_them() -> None:
    existing = {"1": "A", "2": "A", "3": "B"}
    clusters, skipped, bridges = attach_to_clusters(
        ["1", "2", "3", "4", "5", "6"], existing,
        [("4", "1", 0.99), ("5", "6", 0.95)], cannot_link=[("1", "2")])  # inside A: ignored
    assert clusters["1"] == clusters["2"] == clusters["4"] == "A"
    assert clusters["3"] == "B"
    assert clusters["5"] == clusters["6"] == "new-5"
    assert skipped == [] and bridges == []


def test_a_bridge_is_reported_and_a_constraint_blocks_it() -> None:
    existing = {"1": "A", "2": "B"}
    links = [("3", "1", 0.99), ("3", "2", 0.98)]
    clusters, skipped, bridges = attach_to_clusters(["1", "2", "3"], existing, links)
    assert clusters == {"1": "A", "2": "A", "3": "A"} and bridges == [frozenset({"A", "B"})]
    clusters, skipped, bridges = attach_to_clusters(["1", "2", "3"], existing, links, [("1", "2")])
    assert clusters == {"1": "A", "2": "B", "3": "A"}
    assert skipped == [("3", "2")] and bridges == []
