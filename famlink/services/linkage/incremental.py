"""``famlink link --incremental``: link only what arrived since the last run.

A council receives a new extract every month; re-scoring every record ever
received to place a few thousand new ones costs the whole history each time,
and can move existing people's records. This run scores only records the
latest complete run did not assign (against each other and against the
records already linked, with Splink's ``predict_within``/``predict_between``
in ``LinkageEngine.link_new``), using that run's model and threshold, the
same blocking rules, family guards, rejections and consent filter. Existing
persons keep their ids and their records; new records join the person they
link to or become new persons; new records that bridge two persons are a
merge, recorded as a ``PersonEvent`` with before/after like a full run's.

It refuses, saying why, where only a full re-link (``famlink link``) can be
right: no previous run, a previously linked record withdrawn or sent again
with other identifying details since, a rejection that separates records one
person holds together, or identical details now held by two persons. A record
corrected since (by the data team, or re-sent by its agency with the same
identifying details) is its new version in the person that held it, with
its links. The stored run covers every
current record (assignments of existing records carried over, their links
copied with their evidence) so readers of the latest complete run see the
whole picture.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import (
    LinkageRun,
    PairLink,
    PersonEvent,
    PersonLinks,
    RecordAssignment,
)
from famlink.adapters.storage.sources.store import newest_versions
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.linkage.consent import Exclusions, LinkageInputFilter
from famlink.core.linkage.continuity import carry_over
from famlink.core.linkage.engine import LinkageEngine
from famlink.core.linkage.packed_links import unpack_many
from famlink.core.policy.linkage import may_span_services
from famlink.services.linkage.consented import (
    across_services,
    grouped,
    person_outcomes,
    sector_of_source,
)
from famlink.services.linkage.input import (
    IDENTITY,
    changed_identity,
    current_records,
    identity_table,
    linkage_filter,
)
from famlink.services.linkage.run import (
    _persons,
    _public_of,
    _store_assignments,
    _store_links,
    cannot_link_pairs,
    latest_run,
    lived,
)
from famlink.services.linkage.run_log import commit_run

FULL = "run `famlink link` (a full re-link) instead"


def link_new_records(engine: LinkageEngine, threshold: float | None = None, *,
                     input_filter: LinkageInputFilter | None = None,
                     say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Link the records the latest complete run did not assign with ``engine``; store a complete run."""
    report = say or (lambda _m: None)
    if threshold is not None and not 0 < threshold < 1:
        raise InvalidInput(f"threshold must be between 0 and 1, not {threshold}")
    started, clock = timezone.now(), time.perf_counter()
    timings: dict[str, float] = {}
    before = latest_run()
    if before is None:
        raise InvalidInput(f"there is no complete linkage run to add to; {FULL}")
    records = current_records()
    if records.empty:
        raise NotFound("there are no records to link: ingest an extract first")
    earlier = {r: (p, prob) for r, p, prob in RecordAssignment.objects.filter(run=before)
               .values_list("record_id", "person_id", "match_probability")}
    replaced = _replaced(earlier, set(records["id"].astype(int)), before)
    previous = {r: p for r, (p, _prob) in earlier.items()}
    public = dict(Person.objects.filter(id__in=set(previous.values())).values_list("id", "public_id"))
    owner = known_owners(records, previous)
    ids = records["id"].astype(int)
    group = ids.map(lambda rid: previous.get(rid, owner.get(rid))).map(public)
    by_person, sources_by_person = grouped(records, group)
    timings["read_s"] = time.perf_counter() - clock
    phase = time.perf_counter()
    exclusions = (input_filter or linkage_filter()).excluded(by_person, sources_by_person)
    timings["filter_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    kept = ~records["id"].isin(exclusions.record_ids)
    included = records[kept]
    sectors = sector_of_source()
    _no_longer_allowed(records[kept], group[kept], exclusions, sectors, previous)
    kept_prev = {r: p for r, p in previous.items() if r not in exclusions.record_ids}
    rejections = cannot_link_pairs(previous)
    inside = sorted({public[kept_prev[a]] for a, b in rejections
                     if a in kept_prev and b in kept_prev and kept_prev[a] == kept_prev[b]})
    if inside:
        raise InvalidInput(f"a rejection separates records that {', '.join(inside[:5])} holds together; "
                           f"only a full re-link splits a person; {FULL}")
    table, identity = identity_table(included, {r for pair in rejections for r in pair})
    persons_of_identity: dict[str, set[int]] = {}
    for rid, ident in identity.items():
        if int(rid) in kept_prev:
            persons_of_identity.setdefault(ident, set()).add(kept_prev[int(rid)])
    shared = sorted(public[p] for ps in persons_of_identity.values() if len(ps) > 1 for p in ps)
    if shared:
        raise InvalidInput(f"persons {', '.join(shared[:5])} hold records with identical details; {FULL}")
    existing_clusters = {ident: str(ps.pop()) for ident, ps in persons_of_identity.items()}
    across = across_services(included, group[kept], identity, exclusions, sectors)
    is_old = table["record_id"].isin(set(existing_clusters))
    timings["identities_s"] = time.perf_counter() - phase
    new_count = int((~records["id"].isin(previous) & records["id"].isin(included["id"])).sum())
    report(f"linking {new_count:,} new records ({int((~is_old).sum()):,} new identities) against "
           f"{int(is_old.sum()):,} linked identities with {engine.name}, model {before.model_version}")

    phase = time.perf_counter()
    cannot = [(identity[a], identity[b]) for a, b in rejections if a in identity and b in identity]
    use = threshold if threshold is not None else before.threshold
    if use is None:
        raise InvalidInput(f"run {before.pk} stored no threshold; give --threshold or {FULL}")
    result = engine.link_new(
        table[is_old], existing_clusters, table[~is_old], model=before.model, threshold=use,
        cannot_link=cannot, strict_birth_date=True, across=across)  # family records, as a full run links them
    result.threshold_reason = ("given" if threshold is not None
                               else f"as run {before.pk}: {before.threshold_reason}")
    timings["splink_s"] = time.perf_counter() - phase
    timings["splink_predict_s"] = result.stats["timings"].get("predict_s", 0.0)
    timings["splink_train_s"] = 0.0

    phase = time.perf_counter()
    record_cluster = {int(rid): result.clusters[ident] for rid, ident in identity.items()}
    continuity = carry_over(kept_prev, record_cluster)
    if continuity.splits or continuity.retired:  # attach_to_clusters never splits; say so if it did
        raise RuntimeError("incremental linking split or retired an existing person")
    accepted = result.pairs[result.pairs["linked"]]
    timings["cluster_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with transaction.atomic():
        run = LinkageRun.objects.create(
            started_at=started, engine=engine.name, threshold=result.threshold,
            threshold_reason=result.threshold_reason, model_version=before.model_version,
            model=result.model, retrained=False, comparisons=before.comparisons)
        person_of_cluster = _persons(run, continuity, record_cluster, included)
        carried = {r: prob for r, (_p, prob) in earlier.items() if r in kept_prev}
        assigned = _store_assignments(run, records, record_cluster, person_of_cluster, identity,
                                      accepted, previous, exclusions.record_ids, earlier=carried)
        kept_links, copied = _carried_links(before, run, excluded=exclusions.record_ids, replaced=replaced)
        _store_links(run, result, accepted, identity[~identity.index.isin(list(kept_prev))],
                     assigned.set_index("record_id")["person_id"], carried=kept_links)
        copied += len(kept_links)
        from famlink.adapters.storage.linkage.households import rebuild_households

        timings["links_s"] = time.perf_counter() - phase
        households = rebuild_households(run, lived(assigned, records))
        phase_log = time.perf_counter()
        kept_apart = result.stats.get("links_kept_apart_by_consent", [])
        outcomes = person_outcomes(records, group, _public_of(assigned), exclusions, sectors, kept_apart)
        logged = commit_run(run, assigned, records, {o.person_id: o for o in outcomes})
        timings["audit_log_s"] = time.perf_counter() - phase_log
        counts = {
            "records": len(records), "records_linked": len(included), "records_new": new_count,
            "records_excluded_by_consent_filter": len(exclusions.record_ids),
            "links_kept_apart_by_consent": len(kept_apart),
            "persons_allowed_across_services": sum(o.allowed_across_services for o in outcomes),
            "persons_kept_apart_by_consent": sum(bool(o.kept_apart) for o in outcomes),
            "identities": len(table), "identities_new": int((~is_old).sum()),
            "persons": len(set(person_of_cluster.values())),
            "pairs_scored": result.stats.get("comparisons_scored"),
            "bridge_pairs_scored": result.stats.get("bridge_pairs_scored"),
            "links_accepted": len(accepted), "links_carried_over": copied,
            "links_held_back_by_family_guards": result.stats.get("pairs_held_back"),
            "links_skipped_by_rejections": result.stats.get("links_skipped"),
            "persons_created": run.events.filter(kind=PersonEvent.Kind.CREATED).count(),
            "new_records_joining_existing_persons": sum(
                1 for rid, c in record_cluster.items()
                if rid not in kept_prev and continuity.person_of_cluster.get(c) is not None),
            "merges": sum(len(v) for v in continuity.merges.values()), "splits": 0, "retired": 0,
            **households, "audit_log_persons": logged["persons"],
        }
        timings["store_s"] = time.perf_counter() - phase
        timings["households_s"] = timings["store_s"] - timings["links_s"] - timings["audit_log_s"]
        timings["total_s"] = time.perf_counter() - clock
        run.counts = counts | {"mode": "incremental", "extends_run": before.pk}
        run.timings = {k: round(v, 2) for k, v in timings.items()}
        run.status, run.finished_at = LinkageRun.Status.COMPLETE, timezone.now()
        run.save()
    events = list(run.events.exclude(kind=PersonEvent.Kind.CREATED).values(
        "kind", "person__public_id", "before", "after"))
    return {"run": run.pk, "mode": "incremental", "extends_run": before.pk, "engine": engine.name,
            "threshold": run.threshold, "threshold_reason": run.threshold_reason,
            "model_version": run.model_version, "retrained": False, "counts": counts,
            "timings": run.timings, "exclusions": exclusions.reasons, "exemptions": exclusions.exempted,
            "events": events, "merges": [e for e in events if e["kind"] == PersonEvent.Kind.MERGED],
            "splits": [e for e in events if e["kind"] == PersonEvent.Kind.SPLIT], "outcomes": outcomes,
            "audit_log": {key: logged[key] for key in ("persons", "root", "audit_index")}}


def _no_longer_allowed(records: pd.DataFrame, group: pd.Series, exclusions: Exclusions,
                       sectors: Mapping[str, str], previous: Mapping[int, int]) -> None:
    """Refuse when a person holding records from several services may no longer (a yes withdrawn or
    run out, a no): only a full re-link splits a person, and consent must not wait for it."""
    held = records["id"].astype(int).isin(set(previous)).to_numpy()
    services = records.loc[held, "source"].map(sectors).groupby(group[held].to_numpy()).nunique()
    spanning = services[services > 1].index
    stopped = sorted(p for p in spanning if p in exclusions.decisions
                     and not may_span_services([exclusions.decisions[p].standing]))
    if stopped:
        raise InvalidInput(f"{len(stopped):,} persons hold records from several services but may no longer be "
                           f"matched across them (e.g. {', '.join(stopped[:3])}): consent was withdrawn, ran "
                           f"out or was refused, and only a full re-link splits a person; {FULL}")


def _replaced(earlier: dict[int, tuple[int, float | None]], current: set[int],
              before: LinkageRun) -> dict[int, int]:
    """Linked records replaced by a newer version since ``before`` (a correction, or the agency
    sending the row again) -> that version, which takes their place in ``earlier`` (in place).

    A new version with the same identifying details belongs to the same person: it keeps the
    person and the links. A record no longer held, or sent again with other identifying
    details, needs re-scoring, which only a full re-link does.
    """
    newest = {old: new for old, new in newest_versions(set(earlier) - current).items() if new in current}
    gone = set(earlier) - current - set(newest)
    if gone:
        raise InvalidInput(f"{len(gone):,} records linked by run {before.pk} are no longer held, and only a "
                           f"full re-link re-scores their persons; {FULL}")
    changed = changed_identity(newest)
    if changed:
        raise InvalidInput(f"{len(changed):,} records linked by run {before.pk} have since been sent again with "
                           f"other identifying details, and only a full re-link re-scores them; {FULL}")
    for old, new in newest.items():
        person, probability = earlier.pop(old)
        earlier.setdefault(new, (person, probability))  # a correction already carried it: kept as it is
    return newest


def known_owners(records: pd.DataFrame, previous: dict[int, int]) -> dict[int, int]:
    """New record -> existing person it is known to be, without any scoring.

    A record identical on every identifying field to one already linked, or
    sent by the same agency under the same person reference, is that person's.
    The consent filter is asked with these grouped under the person, so an
    opted-out subject's new records stay out of linkage (a full run cannot
    tell them apart from strangers; docs/linkage.md).
    """
    if records.empty or not previous:
        return {}
    fields = records[list(IDENTITY)].astype(object)
    fields = fields.where(fields.notna(), "").astype(str)
    key = pd.Series(fields.groupby(list(IDENTITY), sort=False).ngroup().to_numpy(), index=records.index)
    ref = records["source"].astype(str) + "\x1f" + records["person_ref"].fillna("").astype(str)
    has_ref = records["person_ref"].fillna("").astype(str).str.strip() != ""
    ids = records["id"].astype(int)
    old = ids.isin(set(previous))
    person = ids[old].map(previous)
    by_key = dict(zip(key[old], person, strict=True))
    by_ref = dict(zip(ref[old & has_ref], person[has_ref[old]], strict=True))
    out: dict[int, int] = {}
    for rid, k, r, with_ref in zip(ids[~old], key[~old], ref[~old], has_ref[~old], strict=True):
        found = by_key.get(k) or (by_ref.get(r) if with_ref else None)
        if found is not None:
            out[int(rid)] = int(found)
    return out


def _carried_links(before: LinkageRun, run: LinkageRun, *, excluded: frozenset[int],
                   replaced: dict[int, int]) -> tuple[np.ndarray, int]:
    """The previous run's accepted links, with their evidence, for the new run.

    Existing persons are not re-scored, so their links are still the reasons
    they hold together; links touching a record now held out by the consent
    filter stay behind, as a full run would not store them. Packed links are
    returned (decoded, filtered; ``_store_links`` regroups them by the new
    run's persons); links of runs stored before packing (``PairLink`` rows)
    are copied as rows into the new run. Returns the packed links and how
    many rows were copied. A link made with a version since replaced (``replaced``: old
    record id -> new) is carried with the new version, which holds the same details.
    """
    blobs = [bytes(blob) for blob in PersonLinks.objects.filter(run=before).values_list("links", flat=True)
             .iterator(chunk_size=5000)]
    links = unpack_many(blobs)
    if excluded and len(links):
        out = np.fromiter(excluded, dtype="int64", count=len(excluded))
        links = links[~np.isin(links["record_l"], out) & ~np.isin(links["record_r"], out)]
    if replaced and len(links):
        old = np.array(sorted(replaced), dtype="int64")
        new = np.array([replaced[int(r)] for r in old], dtype="int64")
        for side in ("record_l", "record_r"):
            at = np.searchsorted(old, links[side]).clip(max=len(old) - 1)
            hit = old[at] == links[side]
            links[side][hit] = new[at[hit]]
    table = connection.ops.quote_name(PairLink._meta.db_table)
    columns = ["record_l_id", "record_r_id", "match_probability", "match_weight", "levels", "evidence"]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    apart = ""
    params: list[Any] = [run.pk, before.pk]
    if excluded:
        marks = ", ".join(["%s"] * len(excluded))
        apart = f" AND record_l_id NOT IN ({marks}) AND record_r_id NOT IN ({marks})"
        params += sorted(excluded) * 2
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (run_id, {names}) SELECT %s, {names} FROM {table} "
                       f"WHERE run_id = %s{apart}", params)
        copied = int(cursor.rowcount)
        for side in ("record_l_id", "record_r_id") if replaced else ():
            column = connection.ops.quote_name(side)
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE run_id = %s AND {column} = %s",
                               [(new, run.pk, old) for old, new in replaced.items()])
        return links, copied
