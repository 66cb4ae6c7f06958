"""Every linkage run in the audit log, checkable by each parent: one entry committing to a tree of per-person leaves.

``commit_run`` is called by both kinds of run (``famlink link``, ``famlink link
--incremental``) inside the run's transaction, after its assignments are
stored: the run, its leaves and its audit entry commit or vanish together. A
leaf per person says how many of their records are in their person after the
run, which services they came from, and, from the consent filter's
per-person outcomes (``PersonLinkageOutcome``; none given: nothing kept apart),
which services were kept apart and why, and whether break-glass was used.
The entry's ``reasons`` carry the tree's size and root (docs/audit.md §9).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.linkage import run_log
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.audit.runs import commitment_reasons, leaf_bytes, run_tree
from famlink.core.linkage.consent import PersonLinkageOutcome
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.linkage.gate import CATEGORIES, LINKAGE


def _services_by_person(assigned: pd.DataFrame, records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Person pks, how many records each holds, and the services (source names) they came from, sorted."""
    source = assigned["record_id"].map(pd.Series(records["source"].to_numpy(), index=records["id"].to_numpy()))
    frame = pd.DataFrame({"person": assigned["person_id"].to_numpy(dtype="int64"), "source": source.to_numpy()})
    counts = frame.groupby("person", sort=True).size()
    if frame.empty:  # a run that assigned nothing commits to an empty tree
        return counts.index.to_numpy(), counts.to_numpy(), []
    pairs = frame.drop_duplicates().sort_values(["person", "source"])
    persons = pairs["person"].to_numpy()
    starts = np.flatnonzero(np.r_[True, persons[1:] != persons[:-1]])
    names = pairs["source"].astype(str).tolist()
    ends = [*starts[1:].tolist(), len(names)]
    services = [tuple(names[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)]
    return counts.index.to_numpy(), counts.to_numpy(), services


def commit_run(run: LinkageRun, assigned: pd.DataFrame, records: pd.DataFrame,
               outcomes: Mapping[str, PersonLinkageOutcome] | None = None) -> dict[str, Any]:
    """Write the run's one audit entry and its per-person leaves; in the caller's (the run's) transaction.

    ``assigned``: ``record_id``, ``person_id`` (pk) for every record the run
    assigned; ``records``: ``id``, ``source``. ``outcomes``: the consent
    filter's decision per person public id (a person absent: nothing kept apart).
    Returns the commitment (run, size, root, audit index) and its timings.
    """
    clock = time.perf_counter()
    persons, counts, services = _services_by_person(assigned, records)
    grouped_s = time.perf_counter() - clock
    public = dict(Person.objects.filter(id__in=RecordAssignment.objects.filter(run=run).values("person_id"))
                  .values_list("id", "public_id"))
    ids_s = time.perf_counter() - clock - grouped_s
    day = run.started_at.date()
    known = outcomes or {}
    leaves = []
    for pk, count, shown in zip(persons.tolist(), counts.tolist(), services, strict=True):
        person = public[pk]
        leaves.append((person, leaf_bytes(person, run.pk, day, count, shown, known.get(person))))
    leaves_s = time.perf_counter() - clock
    phase = time.perf_counter()
    tree = run_tree(leaves)
    tree_s = time.perf_counter() - phase
    phase = time.perf_counter()
    entry = append(AuditFacts(
        actor_id=LINKAGE.id, actor_role=LINKAGE.role.value, organisation=LINKAGE.organisation,
        purpose=Purpose.RECORD_LINKAGE, subject_id=None,
        data_categories=tuple(DataCategory(c) for c in CATEGORIES), action=AuditEvent.LINKAGE_RUN,
        decision=Verdict.ALLOW, reasons=commitment_reasons(run.pk, tree.size, tree.root)), need_index=True)
    assert entry.index is not None  # need_index: placed in this transaction
    run_log.store(run, tree.persons, tree.leaves, tree.hashes, tree.root, entry.index)
    store_s = time.perf_counter() - phase
    return {"run": run.pk, "persons": tree.size, "root": tree.root.hex(), "audit_index": entry.index,
            "timings": {"grouped_s": round(grouped_s, 2), "ids_s": round(ids_s, 2), "leaves_s": round(leaves_s, 2), "tree_s": round(tree_s, 2), "store_s": round(store_s, 2)}}
