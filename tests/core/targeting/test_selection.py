"""Capacity: never more families than the service can take; a refused gate reads nobody."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pandas as pd

from famlink.core.registers import AssessmentSummary, load_algorithms, may_score
from famlink.core.targeting.run import DoorRead, run_model
from famlink.core.targeting.selection import select_families

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def scores() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": ["a1", "a2", "b1", "c1", "d1", "e1"],
        "household_id": ["A", "A", "B", "C", "D", "E"],
        "score": [0.9, 0.5, 0.8, 0.7, 0.1, 0.6],
    })


def test_selects_at_most_capacity_highest_first_and_counts_the_rest() -> None:
    s = select_families(scores(), threshold=0.55, capacity=2)
    assert list(s.selected["household_id"]) == ["A", "B"]
    assert s.above_threshold == 4 and s.not_selected_over_capacity == 2
    assert list(s.selected["person_id"]) == ["a1", "b1"]  # the family's highest-scoring child


def test_zero_capacity_selects_nobody() -> None:
    assert select_families(scores(), threshold=0.0, capacity=0).selected.empty


def _entry():  # type: ignore[no-untyped-def]
    return next(e for e in load_algorithms() if e.id == "early-help-v1")


def test_refused_gate_never_opens_the_door() -> None:
    entry = _entry()
    calls: list[int] = []

    def door(c: pd.DataFrame) -> DoorRead:
        calls.append(1)
        raise AssertionError("the door must not be asked")

    gate = may_score(entry, [AssessmentSummary(NOW, False, entry.criteria_sha256)], NOW)
    out = run_model(entry, gate, scores()[["person_id", "household_id"]], door, lambda r, p: scores())
    assert out.selected == 0 and calls == [] and "selected nobody" in out.summary()


def test_over_capacity_run_is_capped_and_says_so() -> None:
    entry = dataclasses.replace(_entry(), service_capacity=1, operating_threshold=0.55)
    gate = may_score(entry, [AssessmentSummary(NOW, True, entry.criteria_sha256)], NOW)
    read = DoorRead(pd.DataFrame(), pd.DataFrame(), permitted=6, refused={"opted out": 1})
    out = run_model(entry, gate, scores()[["person_id", "household_id"]], lambda c: read, lambda r, p: scores())
    assert out.selected == 1 and out.selection is not None and out.selection.not_selected_over_capacity == 3
    assert "3 more above the threshold" in out.summary()
