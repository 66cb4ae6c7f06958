"""Scoring the people in the database: every person's records are read through the policy door.

Each household member is read with ``door.open`` under the model's purpose
(early help), so consent, opt-outs and the purpose's data categories apply
and every decision, allow or deny, is in the audit log. A child the door
refuses is not scored; a parent the door refuses adds nothing to the
household's figures. Police records are never read (the purpose excludes them).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.family.models import HouseholdMembership, Person
from famlink.adapters.storage.governance.holdings import linked_records
from famlink.adapters.storage.registers import store
from famlink.adapters.storage.registers.models import ScoringRun
from famlink.adapters.storage.sources.models import Source
from famlink.core.audit import AuditEvent
from famlink.core.errors import AccessDenied
from famlink.core.people import adult_born_by
from famlink.core.policy import Actor, Role
from famlink.core.registers.algorithms import AlgorithmEntry
from famlink.core.targeting import early_help
from famlink.core.targeting.features import build_features
from famlink.core.targeting.records import RECORD_COLUMNS
from famlink.core.targeting.run import DoorRead, RunOutcome, run_model
from famlink.services.governance import door


def model_actor(entry: AlgorithmEntry) -> Actor:
    """The run acts for the service that owns the model, for the model's purpose only."""
    return Actor(
        id=f"model:{entry.id}",
        role=Role.PRACTITIONER,
        organisation=entry.owner_organisation,
        purposes=frozenset({entry.purpose}),
    )


def candidates(today: date) -> pd.DataFrame:
    """Children (under 18 today) in a current household: person_id, household_id."""
    adult_born = adult_born_by(today)
    rows = HouseholdMembership.objects.filter(
        Q(to_date__isnull=True) | Q(to_date__gte=today),
        person__date_of_birth__gt=adult_born,
        person__date_of_birth__lte=today,
    ).values_list("person__public_id", "household__public_id")
    frame = pd.DataFrame(list(rows), columns=["person_id", "household_id"]).drop_duplicates("person_id")
    return frame


def _members(households: list[str], today: date) -> dict[str, list[tuple[Person, str]]]:
    out: dict[str, list[tuple[Person, str]]] = {}
    rows = HouseholdMembership.objects.filter(
        Q(to_date__isnull=True) | Q(to_date__gte=today), household__public_id__in=households
    ).select_related("person", "household")
    for m in rows:
        out.setdefault(m.household.public_id, []).append((m.person, m.role))
    return out


def door_reader(entry: AlgorithmEntry, now: datetime) -> Any:
    """A function reading candidates' households through the door, for ``run_model``."""
    actor = model_actor(entry)
    sources = list(Source.objects.filter(name__in=entry.data_sources).select_related("organisation"))
    categories = [c for c in entry.data_categories]

    def read(cands: pd.DataFrame) -> DoorRead:
        wanted = set(cands["person_id"])
        refused: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        permitted = 0
        for household, members in _members(sorted(set(cands["household_id"])), now.date()).items():
            for person, role in members:
                try:
                    with door.open(actor, entry.purpose, person, categories, action=AuditEvent.MODEL_SCORED, sources=sources, now=now):
                        found = list(
                            linked_records(person).exclude(category__startswith="police.")
                            .values("category", "status", "event_date", "attributes")
                        )
                except AccessDenied as denied:
                    if person.public_id in wanted:
                        refused[denied.message] += 1
                    continue
                if person.public_id in wanted:
                    permitted += 1
                role = "child" if person.public_id in wanted else "parent"
                people.append({"person_id": person.public_id, "household_id": household, "role": role, "dob": person.date_of_birth})
                for r in found:
                    rows.append({
                        "person_id": person.public_id, "household_id": household, "category": r["category"],
                        "status": r["status"], "event_date": r["event_date"],
                        "attendance_pct": (r["attributes"] or {}).get("attendance_pct"),
                    })
        records = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
        records["event_date"] = pd.to_datetime(records["event_date"])
        records["attendance_pct"] = pd.to_numeric(records["attendance_pct"], errors="coerce")
        frame = pd.DataFrame(people, columns=["person_id", "household_id", "role", "dob"])
        frame["dob"] = pd.to_datetime(frame["dob"])
        return DoorRead(records, frame, permitted, dict(refused))

    return read


def score_database(entry: AlgorithmEntry, model_dir: Path, *, now: datetime | None = None) -> tuple[RunOutcome, ScoringRun]:
    """Run a registered model over the database's children; store the run and notices."""
    now = now or timezone.now()
    gate = store.gate_for(entry, now)
    cutoff = pd.Timestamp(now.date())
    explanations: dict[str, list[dict[str, Any]]] = {}
    model = early_help.load(model_dir) if gate.allowed else None

    def score(records: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
        assert model is not None
        features = build_features(records, people, cutoff)
        features["score"] = model.score(features) if len(features) else []
        for pid, row in features.iterrows():
            explanations[str(pid)] = model.explain(row)
        return features.reset_index()[["person_id", "household_id", "score"]]

    cands = candidates(now.date()) if gate.allowed else pd.DataFrame(columns=["person_id", "household_id"])
    outcome = run_model(entry, gate, cands, door_reader(entry, now), score)
    run = store.record_run(entry, outcome, explanations)
    return outcome, run
