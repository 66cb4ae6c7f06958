"""Stable person ids across runs, and cannot-link clustering."""

from famlink.core.linkage.constraints import constrained_clusters
from famlink.core.linkage.continuity import carry_over


def test_same_clusters_keep_their_persons() -> None:
    result = carry_over({1: "A", 2: "A", 3: "B"}, {1: "x", 2: "x", 3: "y", 4: "z"})
    assert result.person_of_cluster == {"x": "A", "y": "B", "z": None}
    assert not result.merges and not result.splits and not result.retired


def test_merge_keeps_the_larger_person() -> None:
    result = carry_over({1: "A", 2: "A", 3: "B"}, {1: "x", 2: "x", 3: "x"})
    assert result.person_of_cluster == {"x": "A"}
    assert result.merges == {"A": ["B"]}


def test_split_gives_the_new_part_a_new_person() -> None:
    result = carry_over({1: "A", 2: "A", 3: "A"}, {1: "x", 2: "x", 3: "y"})
    assert result.person_of_cluster == {"x": "A", "y": None}
    assert result.splits == {"A": ["y"]}


def test_person_without_records_is_retired() -> None:
    assert carry_over({1: "A", 2: "B"}, {1: "x"}).retired == ["B"]


def test_cannot_link_holds_even_through_a_third_record() -> None:
    clusters, skipped = constrained_clusters(
        ["a", "b", "c"], [("a", "c", 0.99), ("c", "b", 0.98)], [("a", "b")])
    assert clusters["a"] == clusters["c"] != clusters["b"]
    assert skipped == [("c", "b")]
