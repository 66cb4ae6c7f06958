"""Register entries load and validate; the gate lets a model run only when it should."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from famlink.core.errors import InvalidInput
from famlink.core.registers import AssessmentSummary, load_algorithms, load_contractors, may_score
from famlink.core.registers.algorithms import algorithm_from_dict
from famlink.core.registers.fields import read_toml

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def entry():  # type: ignore[no-untyped-def]
    return next(e for e in load_algorithms() if e.id == "early-help-v1")


def passed(entry, days_ago: int = 10, ok: bool = True):  # type: ignore[no-untyped-def]
    return AssessmentSummary(NOW - timedelta(days=days_ago), ok, entry.criteria_sha256)


def test_shipped_entries_load_with_every_field(entry) -> None:  # type: ignore[no-untyped-def]
    assert entry.published and entry.service_capacity == 40 and entry.criteria
    assert entry.as_dict()["criteria_sha256"] == entry.criteria_sha256
    contractor = load_contractors()[0]
    assert contractor.companies_house_number == "09876543" and contractor.subprocessors


def test_a_missing_field_is_named(entry) -> None:  # type: ignore[no-untyped-def]
    raw = read_toml(Path(entry.source_file))
    del raw["rollback"]
    with pytest.raises(InvalidInput, match="'rollback' is required"):
        algorithm_from_dict(raw, where="x.toml")


def test_current_passing_assessment_allows(entry) -> None:  # type: ignore[no-untyped-def]
    assert may_score(entry, [passed(entry)], NOW).allowed


def test_unpublished_scores_nobody(entry) -> None:  # type: ignore[no-untyped-def]
    gate = may_score(dataclasses.replace(entry, published=False), [passed(entry)], NOW)
    assert not gate.allowed and gate.state == "unpublished"


def test_never_assessed_scores_nobody(entry) -> None:  # type: ignore[no-untyped-def]
    assert may_score(entry, [], NOW).state == "never_assessed"


def test_latest_failed_suspends_even_after_earlier_pass(entry) -> None:  # type: ignore[no-untyped-def]
    gate = may_score(entry, [passed(entry, 20), passed(entry, 5, ok=False)], NOW)
    assert not gate.allowed and gate.state == "suspended" and "failed" in gate.text


def test_new_pass_re_enables(entry) -> None:  # type: ignore[no-untyped-def]
    assert may_score(entry, [passed(entry, 20, ok=False), passed(entry, 1)], NOW).allowed


def test_stale_assessment_suspends(entry) -> None:  # type: ignore[no-untyped-def]
    gate = may_score(entry, [passed(entry, entry.review_interval_days + 1)], NOW)
    assert not gate.allowed and "review interval" in gate.text


def test_criteria_changed_after_assessment_suspends(entry) -> None:  # type: ignore[no-untyped-def]
    looser = dataclasses.replace(entry, criteria=entry.criteria[:1])
    assert not may_score(looser, [passed(entry)], NOW).allowed


def test_no_capacity_scores_nobody(entry) -> None:  # type: ignore[no-untyped-def]
    assert not may_score(dataclasses.replace(entry, service_capacity=0), [passed(entry)], NOW).allowed

