"""Registered or it does not run (invariant 5): the one check before any scoring.

Pure: the caller passes the entry and the assessment history it holds. A
failed, stale or criteria-mismatched latest assessment leaves the model
suspended until a new passing assessment is recorded; nothing else
re-enables it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from famlink.core.registers.algorithms import AlgorithmEntry


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """What the gate needs to know about one recorded assessment."""

    ran_at: datetime
    passed: bool
    criteria_sha256: str


@dataclass(frozen=True, slots=True)
class GateResult:
    allowed: bool
    state: str  # active | suspended | unpublished | never_assessed | matching (a record-linkage model scores nobody)
    reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.reasons)


def may_score(entry: AlgorithmEntry, history: list[AssessmentSummary], now: datetime) -> GateResult:
    """Say whether the model may score anyone now, and every reason if not."""
    if not entry.scores_people:
        return GateResult(allowed=False, state="matching",
                          reasons=(f"'{entry.id}' matches records; it never scores or flags anyone.",))
    reasons: list[str] = []
    state = "active"
    if not entry.published:
        reasons.append(f"'{entry.id}' is not published in the algorithm register.")
        state = "unpublished"
    if entry.phase == "retired":
        reasons.append(f"'{entry.id}' has been retired.")
        state = "suspended"
    if not history:
        reasons.append(f"'{entry.id}' has never been independently assessed.")
        state = "never_assessed" if state == "active" else state
    else:
        latest = max(history, key=lambda a: a.ran_at)
        if not latest.passed:
            reasons.append("Its latest assessment failed the pass/fail criteria in its register entry.")
        if now - latest.ran_at > timedelta(days=entry.review_interval_days):
            reasons.append(
                f"Its latest assessment ({latest.ran_at.date().isoformat()}) is older than its "
                f"review interval of {entry.review_interval_days} days."
            )
        if latest.criteria_sha256 != entry.criteria_sha256:
            reasons.append("Its pass/fail criteria changed after the latest assessment, so it must be assessed again.")
        if reasons and state == "active":
            state = "suspended"
    if entry.service_capacity <= 0:
        reasons.append(f"The service it refers to ({entry.service_name}) has no capacity this {entry.capacity_period}.")
        state = "suspended" if state == "active" else state
    return GateResult(allowed=not reasons, state=state, reasons=tuple(reasons))
