"""Clustering that respects people's rejections of links (cannot-link constraints).

A rejected link (after a parent's dispute, say) must stay rejected whatever
the scores say next time, and also indirectly: if A-B is rejected, A must not
reach B through C. So links are added strongest first and a link that would
put two records of a rejected pair into one cluster is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def constrained_clusters(
    record_ids: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Clusters from (left, right, probability) links, never joining a cannot-link pair.

    Returns record id -> cluster id (the smallest record id in the cluster) and
    the links that were skipped because of a constraint.
    """
    parent: dict[str, str] = {rid: rid for rid in record_ids}
    forbidden: dict[str, set[str]] = {}
    for a, b in cannot_link:
        if a in parent and b in parent and a != b:
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)
    # per root: constrained members and the records they must never join
    members: dict[str, set[str]] = {rid: {rid} for rid in forbidden}
    banned: dict[str, set[str]] = {rid: set(others) for rid, others in forbidden.items()}

    def find(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    skipped: list[tuple[str, str]] = []
    for left, right, _p in sorted(links, key=lambda link: -link[2]):
        a, b = find(left), find(right)
        if a == b:
            continue
        if banned.get(a, set()) & members.get(b, set()) or banned.get(b, set()) & members.get(a, set()):
            skipped.append((left, right))
            continue
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        if gone in members or keep in members:
            members[keep] = members.get(keep, set()) | members.pop(gone, set())
            banned[keep] = banned.get(keep, set()) | banned.pop(gone, set())
    return {rid: find(rid) for rid in parent}, skipped


def attach_to_clusters(
    record_ids: Iterable[str],
    existing: Mapping[str, str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, str], list[tuple[str, str]], list[frozenset[str]]]:
    """Grow existing clusters (record id -> cluster id in ``existing``) by new links.

    Incremental linking must never split a person: each existing cluster is
    tied together before any link is added, and constraints inside one
    existing cluster are ignored (a full re-link is where those are settled).
    Links are then added strongest first under the remaining constraints, so
    a new record never joins a record it must stay apart from.

    Returns record id -> cluster id (the existing id; the smallest existing id
    when new records bridge several; ``new-<smallest record id>`` for clusters
    of new records only), the links skipped because of a constraint, and the
    bridges (the sets of existing cluster ids joined into one).
    """
    ids = list(record_ids)
    present = set(ids)
    known = {rid: cluster for rid, cluster in existing.items() if rid in present}
    members: dict[str, list[str]] = {}
    for rid, cluster in known.items():
        members.setdefault(cluster, []).append(rid)
    anchors = [(rids[0], rid, math.inf) for rids in members.values() for rid in rids[1:]]
    across = [(a, b) for a, b in cannot_link
              if not (a in known and b in known and known[a] == known[b])]
    roots, skipped = constrained_clusters(ids, [*anchors, *links], across)
    clusters_of_root: dict[str, set[str]] = {}
    for rid, root in roots.items():
        if rid in known:
            clusters_of_root.setdefault(root, set()).add(known[rid])
    label = {root: min(clusters) for root, clusters in clusters_of_root.items()}
    out = {rid: label.get(root, f"new-{root}") for rid, root in roots.items()}
    bridges = [frozenset(c) for c in clusters_of_root.values() if len(c) > 1]
    return out, skipped, bridges
