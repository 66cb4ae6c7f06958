"""Benchmark: scoring 1,000,000 persons through the policy door and the capacity limit.

    .venv/bin/python bench/assess/score_bench.py [--persons 1000000]

Each person gets a real ``decide()`` under the early-help purpose (consent,
opt-outs and data categories checked; about 10% refused), and each decision
becomes an audit entry whose bytes and leaf hash are computed as the audit
log stores them. Allowed children are scored by the trained scikit-learn
pipeline and at most the service's capacity of families is selected.
Writing the audit rows to the database is measured by bench/governance
(append rate); this measures everything else.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from famlink.core.audit import AuditEntry, AuditEvent, Verdict
from famlink.core.consent import ConsentGrant, ConsentLevel, ConsentState
from famlink.core.policy import Actor, Context, Role, Subject, decide
from famlink.core.registers import load_algorithms
from famlink.core.targeting import early_help
from famlink.core.targeting.features import FEATURE_NAMES
from famlink.core.targeting.selection import select_families
from famlink.core.taxonomy import Purpose, Sector

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.persons
    rng = np.random.default_rng(0)
    entry = next(e for e in load_algorithms() if e.id == "early-help-v1")
    purpose = Purpose.EARLY_HELP_IDENTIFICATION
    actor = Actor(id=f"model:{entry.id}", role=Role.PRACTITIONER, organisation="Riverside Council", purposes=frozenset({purpose}))
    context = Context(now=NOW, source_sectors=frozenset({Sector.HEALTH, Sector.EDUCATION}), source_purposes=frozenset({purpose}))
    grant = ConsentGrant(purpose=purpose, level=ConsentLevel.ACROSS_SERVICES, state=ConsentState.GIVEN,
                         recorded_at=NOW - timedelta(days=30), expires_at=NOW + timedelta(days=300), version=1)
    consented = rng.random(n) < 0.9
    categories = tuple(entry.data_categories)
    households = rng.integers(0, n // 3, n)
    features = pd.DataFrame(rng.poisson(0.4, (n, len(FEATURE_NAMES))).astype(float), columns=list(FEATURE_NAMES))
    train = features.iloc[:50_000].copy()
    train["label"] = (rng.random(len(train)) < 0.02 + 0.15 * train["referrals_3y"].clip(0, 3)).astype(int)
    model = early_help.train(entry.id, train, "2022-01-01")

    started = time.perf_counter()
    allowed = np.zeros(n, dtype=bool)
    leaf_bytes = 0
    for i in range(n):
        subject = Subject(person_id=f"P{i:09d}", is_adult=False, consents={purpose: grant} if consented[i] else {})
        decision = decide(actor, purpose, subject, categories, context)
        allowed[i] = decision.allow
        entry_row = AuditEntry(index=i, occurred_at=NOW, justification="", actor_id=actor.id, actor_role="practitioner", organisation=actor.organisation,
                               purpose=purpose, subject_id=subject.person_id, data_categories=categories,
                               action=AuditEvent.MODEL_SCORED, decision=Verdict.ALLOW if decision.allow else Verdict.DENY,
                               reasons=tuple(c.value for c in decision.codes))
        leaf_bytes += len(entry_row.leaf_hash)
    door_seconds = time.perf_counter() - started
    scored = features[allowed]
    scores = pd.DataFrame({"person_id": np.flatnonzero(allowed).astype(str), "household_id": households[allowed], "score": model.score(scored)})
    selection = select_families(scores, threshold=entry.operating_threshold, capacity=entry.service_capacity)
    total = time.perf_counter() - started
    print(json.dumps({
        "persons": n, "allowed": int(allowed.sum()), "refused": int((~allowed).sum()),
        "selected": len(selection.selected), "over_capacity": selection.not_selected_over_capacity,
        "door_and_audit_entry_seconds": round(door_seconds, 1), "total_seconds": round(total, 1),
        "load_average": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
