"""``famlink link``: one linkage run over the stored records, written in one transaction.

Order of work: read current records -> consent filter -> collapse identical
identities -> Splink (saved model reused unless retraining) -> rejections
applied as cannot-link constraints -> person ids carried over from the last
run -> assignments, links and events stored -> households rebuilt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.bulk import insert_rows as _insert
from famlink.adapters.storage.bulk import iso_days, roomy_cache
from famlink.adapters.storage.family.models import Person, new_person_id
from famlink.adapters.storage.linkage.models import (
    LinkageRun,
    LinkRejection,
    PersonEvent,
    PersonLinks,
    RecordAssignment,
    latest_run,
)
from famlink.adapters.storage.sources.store import newest_versions
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.linkage.consent import LinkageInputFilter
from famlink.core.linkage.constraints import consented_clusters
from famlink.core.linkage.continuity import carry_over
from famlink.core.linkage.engine import LinkageEngine
from famlink.core.linkage.evidence import comparisons_from_json, comparisons_to_json
from famlink.core.linkage.packed_links import links_array, pack_by_owner, widen
from famlink.core.private_files import private_folder
from famlink.services.linkage.consented import (
    across_services,
    grouped,
    person_outcomes,
    sector_of_source,
)
from famlink.services.linkage.input import current_records, identity_table, linkage_filter
from famlink.services.linkage.run_log import commit_run

BATCH = 5000


def models_dir() -> Path:
    path = private_folder(config.data_dir() / "linkage" / "models")
    return path


def latest_model() -> tuple[str, dict[str, Any]] | None:
    """The newest saved model (``model-0001.json``, ``model-0002.json``, ...)."""
    saved = sorted(models_dir().glob("model-*.json"))
    if not saved:
        return None
    return saved[-1].name, json.loads(saved[-1].read_text(encoding="utf-8"))


def save_model(model: dict[str, Any]) -> str:
    saved = sorted(models_dir().glob("model-*.json"))
    number = int(saved[-1].stem.split("-")[1]) + 1 if saved else 1
    path = models_dir() / f"model-{number:04d}.json"
    path.write_text(json.dumps(model, indent=1), encoding="utf-8")
    return path.name


def previous_assignments() -> dict[int, int]:
    run = latest_run()
    if run is None:
        return {}
    return dict(RecordAssignment.objects.filter(run=run).values_list("record_id", "person_id"))


def cannot_link_pairs(previous: dict[int, int]) -> list[tuple[int, int]]:
    """Active rejections as record pairs (record-from-person expands to the person's records).

    A rejection names the records as they were when it was made; a record corrected or re-sent since is
    kept apart by its newest version, so a correction never undoes a "these are not the same person".
    """
    pairs: list[tuple[int, int]] = []
    for rejection in LinkRejection.objects.filter(withdrawn_at__isnull=True):
        if rejection.other_record_id is not None:
            pairs.append((rejection.record_id, rejection.other_record_id))
        else:
            pairs += [(rejection.record_id, int(r)) for r in rejection.person_records
                      if int(r) != rejection.record_id]
    newest = newest_versions({record for pair in pairs for record in pair})
    return [(newest.get(a, a), newest.get(b, b)) for a, b in pairs]


def link_records(engine: LinkageEngine, threshold: float | None = None, *, retrain: bool = False,
                 input_filter: LinkageInputFilter | None = None,
                 say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run linkage over every current record with ``engine`` and store the outcome. Returns a summary.

    The summary's ``outcomes`` holds each person's ``PersonLinkageOutcome``
    (what consent allowed, what it kept apart), for the run's audit
    commitment; the CLI prints their counts, not them.

    The caller chooses the engine (``famlink.adapters.linkage.linkage_engine``);
    the records are family records, so it links them with ``strict_birth_date``.
    """
    report = say or (lambda _m: None)
    if threshold is not None and not 0 < threshold < 1:
        raise InvalidInput(f"threshold must be between 0 and 1, not {threshold}")
    started, clock = timezone.now(), time.perf_counter()
    timings: dict[str, float] = {}
    records = current_records()
    if records.empty:
        raise NotFound("there are no records to link: ingest an extract first")
    previous = previous_assignments()
    public = dict(Person.objects.filter(id__in=set(previous.values())).values_list("id", "public_id"))
    group = records["id"].map(previous).map(public)  # each record's current person (public id), or NaN
    by_person, sources_by_person = grouped(records, group)
    timings["read_s"] = time.perf_counter() - clock
    gate = input_filter or linkage_filter()  # loading the governance modules is not filtering
    phase = time.perf_counter()
    exclusions = gate.excluded(by_person, sources_by_person)
    timings["filter_s"] = time.perf_counter() - phase
    phase = time.perf_counter()
    kept = ~records["id"].isin(exclusions.record_ids)
    included = records[kept]
    rejections = cannot_link_pairs(previous)
    table, identity = identity_table(included, {r for pair in rejections for r in pair})
    sectors = sector_of_source()
    across = across_services(included, group[kept], identity, exclusions, sectors)
    timings["identities_s"] = time.perf_counter() - phase
    report(f"linking {len(included):,} records ({len(table):,} distinct identities) with {engine.name}")

    phase = time.perf_counter()
    saved = None if retrain else latest_model()
    result = engine.link(table, threshold=threshold, model=saved[1] if saved else None, strict_birth_date=True)
    model_version = saved[0] if saved else save_model(result.model)
    timings["splink_s"] = time.perf_counter() - phase
    engine_timings = result.stats.get("timings", {})
    # Splink's own work, to set famlink's overhead against (docs/performance.md)
    timings["splink_train_s"] = engine_timings.get("train_s", 0.0)
    timings["splink_predict_s"] = engine_timings.get("predict_s", 0.0)

    phase = time.perf_counter()
    linked = result.pairs[result.pairs["linked"]]
    cannot = [(identity[a], identity[b]) for a, b in rejections if a in identity and b in identity]
    cannot += result.cannot_link
    clusters, skipped, kept_apart = consented_clusters(
        table["record_id"], zip(linked["record_id_l"], linked["record_id_r"],
                                linked["match_probability"], strict=True), cannot, across)
    record_cluster = {int(rid): clusters[ident] for rid, ident in identity.items()}
    kept_prev = {r: p for r, p in previous.items() if r not in exclusions.record_ids}
    continuity = carry_over(kept_prev, record_cluster)
    skipped_set = set(skipped) | set(kept_apart)
    accepted = linked[[(a, b) not in skipped_set for a, b in zip(
        linked["record_id_l"], linked["record_id_r"], strict=True)]]
    timings["cluster_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with transaction.atomic():
        roomy_cache()
        run = LinkageRun.objects.create(
            started_at=started, engine=engine.name, threshold=result.threshold,
            threshold_reason=result.threshold_reason, model_version=model_version,
            model=result.model, retrained=saved is None)
        person_of_cluster = _persons(run, continuity, record_cluster, included)
        timings["persons_s"] = time.perf_counter() - phase
        assigned = _store_assignments(run, records, record_cluster, person_of_cluster, identity,
                                      accepted, previous, exclusions.record_ids)
        timings["assignments_s"] = time.perf_counter() - phase - timings["persons_s"]
        _store_links(run, result, accepted, identity, assigned.set_index("record_id")["person_id"])
        from famlink.adapters.storage.linkage.households import rebuild_households

        timings["links_s"] = time.perf_counter() - phase  # persons, assignments, links and evidence
        timings["pair_links_s"] = timings["links_s"] - timings["persons_s"] - timings["assignments_s"]
        households = rebuild_households(run, lived(assigned, records))
        phase_log = time.perf_counter()
        outcomes = person_outcomes(records, group, _public_of(assigned), exclusions, sectors, kept_apart)
        logged = commit_run(run, assigned, records, {o.person_id: o for o in outcomes})
        timings["audit_log_s"] = time.perf_counter() - phase_log
        counts = {
            "records": len(records), "records_linked": len(included),
            "records_excluded_by_consent_filter": len(exclusions.record_ids),
            "links_kept_apart_by_consent": len(kept_apart),
            "persons_allowed_across_services": sum(o.allowed_across_services for o in outcomes),
            "persons_kept_apart_by_consent": sum(bool(o.kept_apart) for o in outcomes),
            "identities": len(table), "persons": len(set(person_of_cluster.values())),
            "pairs_scored": result.stats.get("comparisons_scored"),
            "links_accepted": len(accepted), "links_held_back_by_family_guards":
                result.stats.get("pairs_held_back"), "links_skipped_by_rejections": len(skipped),
            "persons_created": run.events.filter(kind=PersonEvent.Kind.CREATED).count(),
            "merges": len(continuity.merges), "splits": len(continuity.splits),
            "retired": len(continuity.retired), **households, "audit_log_persons": logged["persons"],
        }
        timings["store_s"] = time.perf_counter() - phase
        timings["households_s"] = timings["store_s"] - timings["links_s"] - timings["audit_log_s"]
        timings["total_s"] = time.perf_counter() - clock
        run.counts, run.timings = counts, {k: round(v, 2) for k, v in timings.items()}
        run.status, run.finished_at = LinkageRun.Status.COMPLETE, timezone.now()
        run.save()
    events = list(run.events.exclude(kind=PersonEvent.Kind.CREATED).values(
        "kind", "person__public_id", "before", "after"))
    return {"run": run.pk, "mode": "full", "engine": engine.name, "threshold": run.threshold,
            "threshold_reason": run.threshold_reason, "model_version": model_version,
            "retrained": run.retrained, "counts": counts, "timings": run.timings,
            "exclusions": exclusions.reasons, "exemptions": exclusions.exempted, "events": events,
            "merges": [e for e in events if e["kind"] == PersonEvent.Kind.MERGED],
            "splits": [e for e in events if e["kind"] == PersonEvent.Kind.SPLIT],
            "audit_log": {key: logged[key] for key in ("persons", "root", "audit_index")},
            "outcomes": outcomes}


def _public_of(assigned: pd.DataFrame) -> dict[int, str]:
    """Record id -> the public id of its person in this run (one read of the persons table)."""
    public = dict(Person.objects.values_list("id", "public_id"))
    return {int(r): public[int(p)] for r, p in zip(assigned["record_id"], assigned["person_id"], strict=True)}


def _persons(run: LinkageRun, continuity: Any, record_cluster: dict[int, str],
             included: pd.DataFrame) -> dict[str, int]:
    """Cluster -> person pk: existing persons carried over, new ones created, events written."""
    now = timezone.now()
    clusters = pd.Series(record_cluster, dtype=object)
    members = clusters.index.to_series().groupby(clusters.to_numpy()).agg(["min", "size"])
    new_clusters = [c for c, p in continuity.person_of_cluster.items() if p is None]
    created = _create_persons(included.set_index("id").loc[members.loc[new_clusters, "min"]], now)
    person_of_cluster = {c: p for c, p in continuity.person_of_cluster.items() if p is not None}
    person_of_cluster.update(zip(new_clusters, created, strict=True))
    public = dict(Person.objects.filter(id__in=set(continuity.merges)
                                        | {p for ps in continuity.merges.values() for p in ps}
                                        | set(continuity.splits) | set(continuity.retired)
                                        | {person_of_cluster[c] for cs in continuity.splits.values() for c in cs})
                  .values_list("id", "public_id"))
    split_off = {c for cs in continuity.splits.values() for c in cs}
    size = members["size"].to_dict()
    kind, at = PersonEvent.Kind.CREATED.value, connection.ops.adapt_datetimefield_value(now)
    _insert(PersonEvent, ("run", "kind", "person", "before", "after", "at"),
            [(run.pk, kind, person_of_cluster[c], "{}", f'{{"records": {size[c]}}}', at)
             for c in new_clusters if c not in split_off])
    events = []
    for kept, absorbed in continuity.merges.items():
        Person.objects.filter(id__in=absorbed).update(
            status=Person.Status.MERGED, merged_into_id=kept)
        events += [PersonEvent(run=run, kind=PersonEvent.Kind.MERGED, person_id=p, at=now,
                               before={"persons": [public[kept], public[p]]},
                               after={"person": public[kept]}) for p in absorbed]
    for original, parts_of in continuity.splits.items():
        parts = [public[person_of_cluster[c]] for c in parts_of]
        events.append(PersonEvent(run=run, kind=PersonEvent.Kind.SPLIT, person_id=original, at=now,
                                  before={"person": public[original]},
                                  after={"persons": [public[original], *parts]}))
    Person.objects.filter(id__in=continuity.retired).update(status=Person.Status.RETIRED)
    events += [PersonEvent(run=run, kind=PersonEvent.Kind.RETIRED, person_id=p, at=now,
                           before={"person": public[p]}, after={}) for p in continuity.retired]
    PersonEvent.objects.bulk_create(events, batch_size=BATCH)
    return person_of_cluster


def _create_persons(first_records: pd.DataFrame, now: datetime) -> list[int]:
    """A new person per row (the cluster's first record), named from it; their pks in row order.

    Written like links (``_insert``), then read back by their new public ids:
    through the ORM, creating 100,000 persons took seconds of object building.
    """
    if first_records.empty:
        return []

    def present(column: str) -> pd.Series:
        values = first_records[column]
        return values.notna() & (values.astype(str) != "")

    first, surname = first_records["first_name"].astype(str), first_records["surname"].astype(str)
    has_first, has_surname = present("first_name"), present("surname")
    name = pd.Series(np.where(has_first & has_surname, first + " " + surname,
                              np.where(has_first, first, np.where(has_surname, surname, ""))),
                     index=first_records.index)
    full = first_records["full_name"].where(present("full_name"), "").astype(str)
    name = name.where(name != "", full).str.slice(0, 300)
    dob = pd.to_datetime(first_records["date_of_birth"].where(present("date_of_birth")), errors="coerce")
    born = iso_days(dob)
    public_ids = [new_person_id() for _ in range(len(first_records))]
    at = connection.ops.adapt_datetimefield_value(now)
    newer_than = Person.objects.aggregate(last=Max("id"))["last"] or 0
    _insert(Person, ("public_id", "status", "display_name", "date_of_birth", "created_at"),
            list(zip(public_ids, [Person.Status.ACTIVE.value] * len(public_ids), name.tolist(),
                     born, [at] * len(public_ids), strict=True)))
    # ours are among those above the last id before; one range read, not a lookup per batch of ids
    pk_of = dict(Person.objects.filter(id__gt=newer_than).values_list("public_id", "id"))
    return [pk_of[p] for p in public_ids]


def lived(assigned: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """What households are built from (``households.LIVED``), from the records already read."""
    from famlink.adapters.storage.linkage.households import LIVED

    return assigned.merge(records.rename(columns={"id": "record_id"}), on="record_id")[list(LIVED)]


def _store_assignments(run: LinkageRun, records: pd.DataFrame, record_cluster: dict[int, str],
                       person_of_cluster: dict[str, int], identity: pd.Series,
                       accepted: pd.DataFrame, previous: dict[int, int], excluded: frozenset[int],
                       earlier: dict[int, float | None] | None = None) -> pd.DataFrame:
    """One assignment per current record (``record_id``, ``person_id``), also returned.

    A record's probability is its identity's strongest accepted link (1.0 for
    a record identical to another). ``earlier`` (incremental runs): records
    not re-scored keep their previous probability unless a new link is stronger.
    """
    best = pd.concat([accepted[["record_id_l", "match_probability"]].set_axis(["rid", "p"], axis=1),
                      accepted[["record_id_r", "match_probability"]].set_axis(["rid", "p"], axis=1)])
    best_of = best.groupby("rid")["p"].max()
    rid = records["id"].astype("int64")
    out = rid.isin(excluded)
    kept = pd.DataFrame({"record_id": rid[~out]})
    ident = kept["record_id"].map(identity)
    kept["person_id"] = kept["record_id"].map(record_cluster).map(person_of_cluster).astype("int64")
    p = ident.map(best_of).where(kept["record_id"].astype(str) == ident, 1.0)
    if earlier:
        before = kept["record_id"].map(earlier).astype(float)
        p = pd.concat([p, before], axis=1).max(axis=1)  # NaN (no link) ignored
    kept["match_probability"] = p.astype(float)
    held = pd.DataFrame({"record_id": rid[out]})  # held out of linkage: keeps its last person, unlinked
    held["person_id"] = held["record_id"].map(previous)
    held = held[held["person_id"].notna()].astype({"person_id": "int64"})
    held["match_probability"] = np.nan
    assigned = pd.concat([kept, held]).sort_index()
    probability = assigned["match_probability"].astype(object).where(assigned["match_probability"].notna(), None)
    _insert(RecordAssignment, ("run", "record", "person", "match_probability"),
            list(zip([run.pk] * len(assigned), assigned["record_id"].tolist(), assigned["person_id"].tolist(),
                     probability.tolist(), strict=True)))
    return assigned[["record_id", "person_id"]]


def _store_links(run: LinkageRun, result: Any, accepted: pd.DataFrame, identity: pd.Series,
                 person_of_record: pd.Series, carried: np.ndarray | None = None) -> int:
    """Accepted links with their evidence, and a link with empty evidence from each record
    identical to another to that one, packed one row per person (``PersonLinks``). Returns
    how many links were stored.

    A link is stored under the person of its ``record_l`` in this run
    (``person_of_record``: record id -> person pk); ``carried`` (incremental
    runs) are earlier links (``packed_links.link_dtype``) stored with them.
    The words are built when a link is read, from the run's ``comparisons``.
    """
    comparisons = result.comparisons(accepted)
    if comparisons and not run.comparisons:
        run.comparisons = comparisons_to_json(comparisons)
        run.save(update_fields=["comparisons"])
    elif comparisons and comparisons_from_json(run.comparisons) != comparisons:
        raise RuntimeError("this run's links were scored on other comparisons than its earlier links")
    names = [c for c, _labels in comparisons]
    # no links found (an incremental run adding nothing): the run's comparisons, for the links it carries
    k = len(names) if names or len(accepted) else len(run.comparisons)
    found = links_array(
        accepted["record_id_l"].astype("int64").to_numpy(), accepted["record_id_r"].astype("int64").to_numpy(),
        accepted["match_probability"].to_numpy(dtype="float64"), accepted["match_weight"].to_numpy(dtype="float64"),
        np.zeros(len(accepted), dtype=bool), accepted[[f"gamma_{c}" for c in names]].to_numpy(dtype="int8"),
        accepted[[f"w_{c}" for c in names]].to_numpy(dtype="float32"))
    same = identity[identity.index.astype(str) != identity.to_numpy()]
    n = len(same)
    identical = links_array(same.astype("int64").to_numpy(), same.index.astype("int64").to_numpy(),
                            np.ones(n), np.zeros(n), np.ones(n, dtype=bool),
                            np.zeros((n, k), dtype="int8"), np.zeros((n, k), dtype="float32"))
    links = np.concatenate([widen(part, k) for part in (carried, found, identical) if part is not None])
    owner = pd.Series(links["record_l"]).map(person_of_record)
    if owner.isna().any():  # never drop a link: every linked record has a person in its run
        missing = sorted(set(links["record_l"][owner.isna().to_numpy()].tolist()))
        raise RuntimeError(f"links from records with no person in run {run.pk}: {missing[:5]}")
    persons, counts, blobs = pack_by_owner(links, owner.to_numpy(dtype="int64"))
    _insert(PersonLinks, ("run", "person", "count", "links"),
            zip([run.pk] * len(blobs), persons.tolist(), counts.tolist(), blobs, strict=True))
    return len(links)
