"""One scoring run: the gate, then the policy door, then the score, then the capacity limit.

The order matters. If the gate refuses (unpublished, failed or stale
assessment, no capacity) nobody's data is read at all. Otherwise only the
people the policy door allowed are read and scored, and at most the
service's capacity of families is selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from famlink.core.registers.algorithms import AlgorithmEntry
from famlink.core.registers.gate import GateResult
from famlink.core.targeting.selection import Selection, select_families


@dataclass(frozen=True, slots=True)
class DoorRead:
    """What the policy door let through: records and people, and refusals counted by reason."""

    records: pd.DataFrame
    people: pd.DataFrame
    permitted: int
    refused: dict[str, int] = field(default_factory=dict)


@dataclass
class RunOutcome:
    model_id: str
    gate: GateResult
    candidates: int = 0
    permitted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    scored: int = 0
    selection: Selection | None = None
    scores: pd.DataFrame | None = None

    @property
    def selected(self) -> int:
        return 0 if self.selection is None else len(self.selection.selected)

    def summary(self) -> str:
        """One paragraph a data team member (or a journalist) can read."""
        if not self.gate.allowed:
            return f"{self.model_id} selected nobody: {self.gate.text}"
        s = self.selection
        assert s is not None
        return (
            f"{self.model_id}: {self.candidates:,} children considered, {self.permitted:,} allowed by the policy door, "
            f"{self.scored:,} scored. {s.above_threshold:,} families were at or above the threshold {s.threshold:g}; "
            f"{self.selected:,} selected (capacity {s.capacity:,}), {s.not_selected_over_capacity:,} more above the "
            "threshold were not selected because the service has no room for them."
        )


def run_model(
    entry: AlgorithmEntry,
    gate: GateResult,
    candidates: pd.DataFrame,
    read_through_door: Callable[[pd.DataFrame], DoorRead],
    score: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
    capacity: int | None = None,
) -> RunOutcome:
    """``candidates``: person_id, household_id. ``score(records, people)``: person_id, household_id, score."""
    outcome = RunOutcome(entry.id, gate, candidates=len(candidates))
    if not gate.allowed:
        return outcome
    read = read_through_door(candidates)
    outcome.permitted, outcome.refused = read.permitted, dict(read.refused)
    scores = score(read.records, read.people) if read.permitted else pd.DataFrame(columns=["person_id", "household_id", "score"])
    scores = scores[np.isfinite(scores["score"].to_numpy(dtype=float))]
    outcome.scored = len(scores)
    outcome.scores = scores
    limit = entry.service_capacity if capacity is None else min(capacity, entry.service_capacity)
    outcome.selection = select_families(scores, threshold=entry.operating_threshold, capacity=limit)
    return outcome
