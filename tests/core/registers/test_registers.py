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



# -- the record-linkage model: a matching entry (issue 16, item 3) ----------------------------------------------

@pytest.fixture
def matching():  # type: ignore[no-untyped-def]
    return next(e for e in load_algorithms() if e.id == "record-linkage-v1")


def test_the_linkage_model_is_registered_as_matching_with_no_service(matching) -> None:  # type: ignore[no-untyped-def]
    assert matching.kind == "matching" and not matching.scores_people and matching.published
    listed = matching.as_dict()
    assert listed["service_name"] is None and listed["operating_threshold"] is None
    assert {c.metric for c in matching.criteria} >= {"pairwise_precision", "negative_agreement_weights"}


def test_a_matching_model_never_scores_even_when_assessed(matching) -> None:  # type: ignore[no-untyped-def]
    gate = may_score(matching, [passed(matching)], NOW)
    assert not gate.allowed and gate.state == "matching" and "never scores" in gate.text


def test_a_scoring_entry_still_needs_its_service(entry) -> None:  # type: ignore[no-untyped-def]
    raw = read_toml(Path(entry.source_file))
    del raw["service"]
    with pytest.raises(InvalidInput, match="service"):
        algorithm_from_dict(raw, where="x.toml")
    assert algorithm_from_dict({**raw, "kind": "matching"}, where="x.toml").service_capacity == 0


def test_an_unknown_kind_is_named(entry) -> None:  # type: ignore[no-untyped-def]
    raw = read_toml(Path(entry.source_file))
    with pytest.raises(InvalidInput, match="'kind' must be one of scoring, matching, not 'ranking'"):
        algorithm_from_dict({**raw, "kind": "ranking"}, where="x.toml")
