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
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.input import current_records, identity_table, linkage_filter
from famlink.adapters.storage.linkage.models import (
    LinkageRun,
    LinkRejection,
    PairLink,
    PersonEvent,
    RecordAssignment,
)
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.linkage.consent import LinkageInputFilter
from famlink.core.linkage.constraints import constrained_clusters
from famlink.core.linkage.continuity import carry_over
from famlink.core.linkage.engine import get_engine

BATCH = 5000
IDENTICAL = [{"comparison": "identical", "level": 0, "weight": 0.0,
              "label": "every identifying detail identical (the same agency sent them again)"}]


def models_dir() -> Path:
    path = config.data_dir() / "linkage" / "models"
    path.mkdir(parents=True, exist_ok=True)
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


def latest_run() -> LinkageRun | None:
    # the model JSON is large and rarely needed: loaded only if asked for
    return LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).order_by("-id").defer("model").first()


def previous_assignments() -> dict[int, int]:
    run = latest_run()
    if run is None:
        return {}
    return dict(RecordAssignment.objects.filter(run=run).values_list("record_id", "person_id"))


def cannot_link_pairs(previous: dict[int, int]) -> list[tuple[int, int]]:
    """Active rejections as record pairs (record-from-person expands to the person's records)."""
    pairs: list[tuple[int, int]] = []
    for rejection in LinkRejection.objects.filter(withdrawn_at__isnull=True):
        if rejection.other_record_id is not None:
            pairs.append((rejection.record_id, rejection.other_record_id))
        else:
            pairs += [(rejection.record_id, int(r)) for r in rejection.person_records
                      if int(r) != rejection.record_id]
    return pairs


def link_records(engine: str = "duckdb", threshold: float | None = None, *, retrain: bool = False,
                 input_filter: LinkageInputFilter | None = None,
                 say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run linkage over every current record and store the outcome. Returns a summary."""
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
    by_person: dict[str | None, list[int]] = {}
    for rid in records["id"]:
        person = previous.get(rid)
        by_person.setdefault(public.get(person) if person else None, []).append(int(rid))
    timings["read_s"] = time.perf_counter() - clock
    phase = time.perf_counter()
    exclusions = (input_filter or linkage_filter()).excluded(by_person)
    timings["filter_s"] = time.perf_counter() - phase
    phase = time.perf_counter()
    included = records[~records["id"].isin(exclusions.record_ids)]
    rejections = cannot_link_pairs(previous)
    table, identity = identity_table(included, {r for pair in rejections for r in pair})
    timings["identities_s"] = time.perf_counter() - phase
    report(f"linking {len(included):,} records ({len(table):,} distinct identities) with {engine}")

    phase = time.perf_counter()
    saved = None if retrain else latest_model()
    result = get_engine(engine, strict_birth_date=True).link(table, threshold=threshold, model=saved[1] if saved else None)
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
    clusters, skipped = constrained_clusters(
        table["record_id"], zip(linked["record_id_l"], linked["record_id_r"],
                                linked["match_probability"], strict=True), cannot)
    record_cluster = {int(rid): clusters[ident] for rid, ident in identity.items()}
    kept_prev = {r: p for r, p in previous.items() if r not in exclusions.record_ids}
    continuity = carry_over(kept_prev, record_cluster)
    skipped_set = set(skipped)
    accepted = linked[[(a, b) not in skipped_set for a, b in zip(
        linked["record_id_l"], linked["record_id_r"], strict=True)]]
    timings["cluster_s"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with transaction.atomic():
        run = LinkageRun.objects.create(
            started_at=started, engine=engine, threshold=result.threshold,
            threshold_reason=result.threshold_reason, model_version=model_version,
            model=result.model, retrained=saved is None)
        person_of_cluster = _persons(run, continuity, record_cluster, included)
        _store_assignments(run, records, record_cluster, person_of_cluster, identity,
                           accepted, previous, exclusions.record_ids)
        _store_links(run, result, accepted, identity)
        from famlink.adapters.storage.linkage.households import rebuild_households

        timings["links_s"] = time.perf_counter() - phase
        households = rebuild_households(run)
        counts = {
            "records": len(records), "records_linked": len(included),
            "records_excluded_by_consent_filter": len(exclusions.record_ids),
            "identities": len(table), "persons": len(set(person_of_cluster.values())),
            "pairs_scored": result.stats.get("comparisons_scored"),
            "links_accepted": len(accepted), "links_held_back_by_family_guards":
                result.stats.get("pairs_held_back"), "links_skipped_by_rejections": len(skipped),
            "persons_created": run.events.filter(kind=PersonEvent.Kind.CREATED).count(),
            "merges": len(continuity.merges), "splits": len(continuity.splits),
            "retired": len(continuity.retired), **households,
        }
        timings["store_s"] = time.perf_counter() - phase
        timings["households_s"] = timings["store_s"] - timings["links_s"]
        timings["total_s"] = time.perf_counter() - clock
        run.counts, run.timings = counts, {k: round(v, 2) for k, v in timings.items()}
        run.status, run.finished_at = LinkageRun.Status.COMPLETE, timezone.now()
        run.save()
    events = list(run.events.exclude(kind=PersonEvent.Kind.CREATED).values(
        "kind", "person__public_id", "before", "after"))
    return {"run": run.pk, "mode": "full", "engine": engine, "threshold": run.threshold,
            "threshold_reason": run.threshold_reason, "model_version": model_version,
            "retrained": run.retrained, "counts": counts, "timings": run.timings,
            "exclusions": exclusions.reasons, "exemptions": exclusions.exempted, "events": events,
            "merges": [e for e in events if e["kind"] == PersonEvent.Kind.MERGED],
            "splits": [e for e in events if e["kind"] == PersonEvent.Kind.SPLIT]}


def _persons(run: LinkageRun, continuity: Any, record_cluster: dict[int, str],
             included: pd.DataFrame) -> dict[str, int]:
    """Cluster -> person pk: existing persons carried over, new ones created, events written."""
    now = timezone.now()
    names = included.set_index("id")
    members: dict[str, list[int]] = {}
    for rid, cluster in record_cluster.items():
        members.setdefault(cluster, []).append(rid)
    new_clusters = [c for c, p in continuity.person_of_cluster.items() if p is None]
    created = Person.objects.bulk_create(
        [_new_person(names.loc[min(members[c])]) for c in new_clusters], batch_size=BATCH)
    person_of_cluster = {c: p for c, p in continuity.person_of_cluster.items() if p is not None}
    person_of_cluster.update({c: person.pk for c, person in zip(new_clusters, created, strict=True)})
    public = dict(Person.objects.filter(id__in=set(person_of_cluster.values())
                                        | {p for ps in continuity.merges.values() for p in ps}
                                        | set(continuity.splits) | set(continuity.retired))
                  .values_list("id", "public_id"))
    split_off = {c for cs in continuity.splits.values() for c in cs}
    events = [PersonEvent(run=run, kind=PersonEvent.Kind.CREATED, person_id=person_of_cluster[c],
                          before={}, after={"records": len(members[c])}, at=now)
              for c in new_clusters if c not in split_off]
    for kept, absorbed in continuity.merges.items():
        Person.objects.filter(id__in=absorbed).update(
            status=Person.Status.MERGED, merged_into_id=kept)
        events += [PersonEvent(run=run, kind=PersonEvent.Kind.MERGED, person_id=p, at=now,
                               before={"persons": [public[kept], public[p]]},
                               after={"person": public[kept]}) for p in absorbed]
    for original, clusters in continuity.splits.items():
        parts = [public[person_of_cluster[c]] for c in clusters]
        events.append(PersonEvent(run=run, kind=PersonEvent.Kind.SPLIT, person_id=original, at=now,
                                  before={"person": public[original]},
                                  after={"persons": [public[original], *parts]}))
    Person.objects.filter(id__in=continuity.retired).update(status=Person.Status.RETIRED)
    events += [PersonEvent(run=run, kind=PersonEvent.Kind.RETIRED, person_id=p, at=now,
                           before={"person": public[p]}, after={}) for p in continuity.retired]
    PersonEvent.objects.bulk_create(events, batch_size=BATCH)
    return person_of_cluster


def _new_person(row: pd.Series) -> Person:
    name = " ".join(str(v) for v in (row["first_name"], row["surname"]) if v) or str(row["full_name"] or "")
    return Person(display_name=name[:300], date_of_birth=row["date_of_birth"] or None)


def _store_assignments(run: LinkageRun, records: pd.DataFrame, record_cluster: dict[int, str],
                       person_of_cluster: dict[str, int], identity: pd.Series,
                       accepted: pd.DataFrame, previous: dict[int, int], excluded: frozenset[int],
                       earlier: dict[int, float | None] | None = None) -> None:
    """One assignment per current record. ``earlier`` (incremental runs): records
    not re-scored keep their previous probability unless a new link is stronger."""
    best = pd.concat([accepted[["record_id_l", "match_probability"]].set_axis(["rid", "p"], axis=1),
                      accepted[["record_id_r", "match_probability"]].set_axis(["rid", "p"], axis=1)])
    best_of = best.groupby("rid")["p"].max().to_dict()
    identity_of = identity.to_dict()
    fields = ("run", "record", "person", "match_probability")
    rows: list[tuple[Any, ...]] = []
    for rid in records["id"]:
        rid = int(rid)
        if rid in excluded:
            if rid in previous:  # held out of linkage: keeps its last person, unlinked
                rows.append((run.pk, rid, previous[rid], None))
        else:
            ident = identity_of[rid]
            p = best_of.get(ident) if str(rid) == ident else 1.0
            if earlier and rid in earlier and earlier[rid] is not None:
                p = max(p, earlier[rid]) if p is not None else earlier[rid]  # type: ignore[type-var]
            rows.append((run.pk, rid, person_of_cluster[record_cluster[rid]], p))
        if len(rows) >= BATCH:
            _insert(RecordAssignment, fields, rows)
            rows = []
    _insert(RecordAssignment, fields, rows)


def _store_links(run: LinkageRun, result: Any, accepted: pd.DataFrame, identity: pd.Series) -> None:
    """Accepted links with their evidence, built and written a batch at a time.

    A dict per comparison per link for a million links would not fit in
    memory, nor finish quickly through the ORM; JSON text built column-wise
    and written in batches does.
    """
    fields = ("run", "record_l", "record_r", "match_probability", "match_weight", "levels")
    for start in range(0, len(accepted), BATCH):
        batch = accepted.iloc[start:start + BATCH]
        _insert(PairLink, fields, list(zip(
            [run.pk] * len(batch), batch["record_id_l"].astype(int).tolist(),
            batch["record_id_r"].astype(int).tolist(), batch["match_probability"].astype(float).tolist(),
            batch["match_weight"].astype(float).tolist(),
            result.levels_json(batch), strict=True)))
    identical = json.dumps(IDENTICAL)
    same = [(run.pk, int(ident), int(rid), 1.0, 0.0, identical)
            for rid, ident in identity.items() if str(rid) != ident]
    for start in range(0, len(same), BATCH):
        _insert(PairLink, fields, same[start:start + BATCH])


def _insert(model: type[Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert without the ORM's per-value overhead: COPY on PostgreSQL, executemany on SQLite.

    Through ``bulk_create`` storing a run's links took longer than Splink took
    to find them (docs/performance.md). JSON fields are passed as JSON text.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column)  # type: ignore[union-attr,arg-type]
                        for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
