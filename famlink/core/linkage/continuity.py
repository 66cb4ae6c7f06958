"""Person ids that keep their meaning from one linkage run to the next.

A person id is what a parent, a practitioner and every audit entry refer to,
so a re-run must never renumber people. New clusters are matched to existing
persons by shared records:

- each existing person continues in the new cluster holding most of its
  records (ties: the smaller cluster id);
- a cluster claimed by several persons is a **merge**: the one with the most
  records there keeps its id (ties: the older, smaller id); the others are
  marked merged into it;
- a cluster claimed by nobody gets a new person; if it holds records of an
  existing person that continues elsewhere, that is a **split**;
- an existing person none of whose records are in any cluster is **retired**.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Continuity:
    """How new clusters map onto existing persons, and the events that implies."""

    #: cluster id -> existing person id that continues in it, or None for a new person
    person_of_cluster: dict[Any, Any]
    #: kept person -> persons merged into it
    merges: dict[Any, list[Any]] = field(default_factory=dict)
    #: existing person -> clusters split off it (which get new persons)
    splits: dict[Any, list[Any]] = field(default_factory=dict)
    retired: list[Any] = field(default_factory=list)


def carry_over(previous: Mapping[Any, Any], clusters: Mapping[Any, Any]) -> Continuity:
    """Match ``clusters`` (record -> cluster) to ``previous`` (record -> person)."""
    overlap: Counter[tuple[Any, Any]] = Counter()
    for record, person in previous.items():
        cluster = clusters.get(record)
        if cluster is not None:
            overlap[(person, cluster)] += 1
    by_person: dict[Any, list[tuple[int, Any]]] = defaultdict(list)
    for (person, cluster), n in overlap.items():
        by_person[person].append((n, cluster))
    claims: dict[Any, list[tuple[int, Any]]] = defaultdict(list)
    for person, options in by_person.items():
        n, cluster = min(options, key=lambda item: (-item[0], item[1]))
        claims[cluster].append((n, person))
    result = Continuity(person_of_cluster={})
    for cluster in sorted(set(clusters.values())):
        claimants = claims.get(cluster)
        if not claimants:
            result.person_of_cluster[cluster] = None
            continue
        _n, winner = min(claimants, key=lambda item: (-item[0], item[1]))
        result.person_of_cluster[cluster] = winner
        losers = sorted(p for _n, p in claimants if p != winner)
        if losers:
            result.merges[winner] = losers
    for person, options in by_person.items():
        continuing = result.person_of_cluster
        for _n, cluster in options:
            if continuing[cluster] is None:
                result.splits.setdefault(person, []).append(cluster)
    result.retired = sorted(set(previous.values()) - set(by_person))
    return result
