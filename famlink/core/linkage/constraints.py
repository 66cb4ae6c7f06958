"""Clustering that respects people's rejections of links (cannot-link constraints).

A rejected link (after a parent's dispute, say) must stay rejected whatever
the scores say next time, and also indirectly: if A-B is rejected, A must not
reach B through C. So links are added strongest first and a link that would
put two records of a rejected pair into one cluster is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from famlink.core.policy.linkage import Standing, may_span_services


@dataclass(frozen=True)
class AcrossServices:
    """What consent allows clustering to join across services.

    ``service``: record id -> the service (sector) it came from.
    ``standing``: record id -> its person's answer (``Standing``); a record
    missing here counts as not answered. Clusters may hold records from
    several services only as ``may_span_services`` allows.
    """

    service: Mapping[str, str]
    standing: Mapping[str, Standing]


def constrained_clusters(
    record_ids: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Clusters from (left, right, probability) links, never joining a cannot-link pair.

    Returns record id -> cluster id (the smallest record id in the cluster) and
    the links that were skipped because of a constraint.
    """
    clusters, skipped, _apart = consented_clusters(record_ids, links, cannot_link)
    return clusters, skipped


def consented_clusters(
    record_ids: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    across: AcrossServices | None = None,
    tied: Iterable[tuple[str, str]] = (),
) -> tuple[dict[str, str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Clusters as ``constrained_clusters``, and joined across services only as consent allows.

    ``tied``: pairs joined first, whatever consent says (incremental runs
    keep existing persons whole; the cannot-link check still applies).
    With ``across``, a link that would make a cluster span services that
    ``may_span_services`` forbids is kept apart; kept-apart links are tried
    again after every pass, since a later link can bring in the person who
    allows it. Returns the clusters, the links skipped by a rejection or a
    family guard, and the links kept apart by consent (still apart at the end).
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

    # per root, when consent is checked: the services it holds and its people's standings, as bits
    # (a million records: sets per root cost more than the clustering itself)
    services: dict[str, int] = {}
    standings: dict[str, int] = {}
    spans: list[bool] = []  # standings bits -> may they span services (the policy's rule, asked once per set)
    if across is not None:
        bit = {name: 1 << i for i, name in enumerate(sorted(set(across.service.values())))}
        services = {rid: bit[across.service[rid]] for rid in parent}
        standings = {rid: 1 << across.standing.get(rid, Standing.NOT_ANSWERED) for rid in parent}
        spans = [may_span_services(s for s in Standing if bits & (1 << s)) for bits in range(1 << len(Standing))]

    def join(a: str, b: str) -> None:
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        if gone in members or keep in members:
            members[keep] = members.get(keep, set()) | members.pop(gone, set())
            banned[keep] = banned.get(keep, set()) | banned.pop(gone, set())
        if across is not None:
            services[keep] |= services.pop(gone)
            standings[keep] |= standings.pop(gone)

    def rejected(a: str, b: str) -> bool:
        if not banned:  # no rejections or guards: the common case, without building sets
            return False
        return bool(banned.get(a, set()) & members.get(b, set()) or banned.get(b, set()) & members.get(a, set()))

    def consent_forbids(a: str, b: str) -> bool:
        both = services[a] | services[b]
        return both & (both - 1) != 0 and not spans[standings[a] | standings[b]]  # more than one service

    skipped: list[tuple[str, str]] = []
    for left, right in tied:
        a, b = find(left), find(right)
        if a != b:
            if rejected(a, b):
                skipped.append((left, right))
            else:
                join(a, b)
    pending = sorted(links, key=lambda link: -link[2])
    while True:
        apart: list[tuple[str, str, float]] = []
        joined = False
        for left, right, p in pending:
            a, b = find(left), find(right)
            if a == b:
                continue
            if rejected(a, b):
                skipped.append((left, right))
            elif across is not None and consent_forbids(a, b):
                apart.append((left, right, p))
            else:
                join(a, b)
                joined = True
        if not (joined and apart):
            break
        pending = apart  # a join may have brought in someone who allows: try the rest again
    kept_apart = [(left, right) for left, right, _p in apart if find(left) != find(right)]
    return {rid: find(rid) for rid in parent}, skipped, kept_apart


def attach_to_clusters(
    record_ids: Iterable[str],
    existing: Mapping[str, str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    across: AcrossServices | None = None,
) -> tuple[dict[str, str], list[tuple[str, str]], list[frozenset[str]], list[tuple[str, str]]]:
    """Grow existing clusters (record id -> cluster id in ``existing``) by new links.

    Incremental linking must never split a person: each existing cluster is
    tied together before any link is added, and constraints inside one
    existing cluster are ignored (a full re-link is where those are settled).
    Links are then added strongest first under the remaining constraints, so
    a new record never joins a record it must stay apart from.

    Existing clusters are tied whatever ``across`` says (only a full re-link
    splits a person); new links join across services only as it allows.

    Returns record id -> cluster id (the existing id; the smallest existing id
    when new records bridge several; ``new-<smallest record id>`` for clusters
    of new records only), the links skipped because of a constraint, the
    bridges (the sets of existing cluster ids joined into one), and the links
    kept apart by consent.
    """
    ids = list(record_ids)
    present = set(ids)
    known = {rid: cluster for rid, cluster in existing.items() if rid in present}
    members: dict[str, list[str]] = {}
    for rid, cluster in known.items():
        members.setdefault(cluster, []).append(rid)
    anchors = [(rids[0], rid) for rids in members.values() for rid in rids[1:]]
    apart = [(a, b) for a, b in cannot_link
             if not (a in known and b in known and known[a] == known[b])]
    roots, skipped, kept_apart = consented_clusters(ids, links, apart, across, tied=anchors)
    clusters_of_root: dict[str, set[str]] = {}
    for rid, root in roots.items():
        if rid in known:
            clusters_of_root.setdefault(root, set()).add(known[rid])
    label = {root: min(clusters) for root, clusters in clusters_of_root.items()}
    out = {rid: label.get(root, f"new-{root}") for rid, root in roots.items()}
    bridges = [frozenset(c) for c in clusters_of_root.values() if len(c) > 1]
    return out, skipped, bridges, kept_apart
