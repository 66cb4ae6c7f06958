"""Clustering under cannot-link constraints, and growing existing clusters incrementally."""

from __future__ import annotations

from famlink.core.linkage.constraints import attach_to_clusters


def test_existing_clusters_are_never_split_and_new_records_join_them() -> None:
    existing = {"1": "A", "2": "A", "3": "B"}
    clusters, skipped, bridges, _apart = attach_to_clusters(
        ["1", "2", "3", "4", "5", "6"], existing,
        [("4", "1", 0.99), ("5", "6", 0.95)], cannot_link=[("1", "2")])  # inside A: ignored
    assert clusters["1"] == clusters["2"] == clusters["4"] == "A"
    assert clusters["3"] == "B"
    assert clusters["5"] == clusters["6"] == "new-5"
    assert skipped == [] and bridges == []


def test_a_bridge_is_reported_and_a_constraint_blocks_it() -> None:
    existing = {"1": "A", "2": "B"}
    links = [("3", "1", 0.99), ("3", "2", 0.98)]
    clusters, skipped, bridges, _apart = attach_to_clusters(["1", "2", "3"], existing, links)
    assert clusters == {"1": "A", "2": "A", "3": "A"} and bridges == [frozenset({"A", "B"})]
    clusters, skipped, bridges, _apart = attach_to_clusters(["1", "2", "3"], existing, links, [("1", "2")])
    assert clusters == {"1": "A", "2": "B", "3": "A"}
    assert skipped == [("3", "2")] and bridges == []


def test_across_services_only_where_someone_allows_and_nobody_refuses() -> None:
    from famlink.core.linkage.constraints import AcrossServices, consented_clusters
    from famlink.core.policy.linkage import Standing

    # yes (health) - b (education, not answered) strongest, then yes - c (health, not answered): c joins yes
    # within one service, b joins through yes's consent; d (police, not answered) - b must not follow
    # unless through someone who allows (here: yes is in the cluster, so it may); no (education) never joins
    across = AcrossServices(
        service={"yes": "health", "b": "education", "c": "health", "d": "police", "no": "education",
                 "e": "welfare", "f": "housing"},
        standing={"yes": Standing.ALLOWS, "b": Standing.NOT_ANSWERED, "c": Standing.NOT_ANSWERED,
                  "d": Standing.NOT_ANSWERED, "no": Standing.REFUSES, "e": Standing.NOT_ANSWERED,
                  "f": Standing.NOT_ANSWERED})
    links = [("e", "f", 0.99), ("b", "d", 0.98), ("yes", "b", 0.9), ("yes", "c", 0.8), ("c", "no", 0.7)]
    clusters, skipped, apart = consented_clusters(list(across.service), links, (), across)
    assert clusters["yes"] == clusters["b"] == clusters["c"] == clusters["d"]  # b-d retried after yes-b joined
    assert clusters["no"] != clusters["yes"] and ("c", "no") in apart
    assert clusters["e"] != clusters["f"] and ("e", "f") in apart  # two people who never said yes
    assert not skipped
    # without consent everything that links is one
    everyone, _skipped, none_apart = consented_clusters(list(across.service), links)
    assert everyone["no"] == everyone["yes"] and everyone["e"] == everyone["f"] and not none_apart


def test_within_one_service_records_of_people_who_refuse_are_still_deduplicated() -> None:
    from famlink.core.linkage.constraints import AcrossServices, consented_clusters
    from famlink.core.policy.linkage import Standing

    across = AcrossServices(service={"a1": "health", "a2": "health", "c": "school"},
                            standing={"a1": Standing.REFUSES, "a2": Standing.REFUSES, "c": Standing.ALLOWS})
    clusters, _skipped, apart = consented_clusters(["a1", "a2", "c"], [("a2", "c", 0.95), ("a1", "a2", 0.9)],
                                                   (), across)
    assert clusters["a1"] == clusters["a2"] != clusters["c"]
    assert apart == [("a2", "c")]
