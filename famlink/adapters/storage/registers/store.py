"""Assessments and scoring runs in the database; the gate reads from here.

A model is suspended automatically: the gate looks at the latest recorded
assessment every time, so recording a failed one (or letting it go stale)
stops the next run, and only a new passing assessment starts it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.registers.models import FlagNotice, ModelAssessment, ScoringRun
from famlink.core.registers.algorithms import AlgorithmEntry
from famlink.core.registers.gate import AssessmentSummary, GateResult, may_score

if TYPE_CHECKING:  # the scoring run (and pandas) is not loaded by the pages that read the register
    from famlink.core.targeting.run import RunOutcome

OBJECT_TEXT = (
    "You can say no. Use 'Object to this' on this page, or email {contact}. We will remove your family from "
    "the list the same day and will not use the model for your family again while your objection stands. "
    "Objecting will not change any service you already get."
)


def record_assessment(figures: dict[str, Any], *, report_dir: str = "", assessed_by: str = "") -> ModelAssessment:
    """Store one assessment as run; its ``passed`` decides the model's state from now on."""
    return ModelAssessment.objects.create(
        model_id=figures["model_id"],
        model_version=figures.get("model_version", ""),
        ran_at=datetime.fromisoformat(figures["ran_at"]),
        passed=bool(figures["passed"]),
        criteria_sha256=figures["criteria_sha256"],
        period=figures.get("period", ""),
        headline=figures.get("headline", {}),
        figures=figures,
        report_dir=report_dir,
        assessed_by=assessed_by,
    )


def history(model_id: str) -> list[AssessmentSummary]:
    rows = ModelAssessment.objects.filter(model_id=model_id).values_list("ran_at", "passed", "criteria_sha256")
    return [AssessmentSummary(ran_at=r[0], passed=r[1], criteria_sha256=r[2]) for r in rows]


def gate_for(entry: AlgorithmEntry, now: datetime | None = None) -> GateResult:
    return may_score(entry, history(entry.id), now or timezone.now())


def latest_assessment(model_id: str) -> ModelAssessment | None:
    return ModelAssessment.objects.filter(model_id=model_id).order_by("-ran_at", "-pk").first()


def withdraw_notices(model_id: str) -> int:
    """A suspended model's flags are withdrawn: families are not left flagged by a model that failed."""
    return FlagNotice.objects.filter(model_id=model_id, status=FlagNotice.Status.ACTIVE).update(status=FlagNotice.Status.WITHDRAWN)


@transaction.atomic
def record_run(entry: AlgorithmEntry, outcome: RunOutcome, explanations: dict[str, list[dict[str, Any]]] | None = None) -> ScoringRun:
    """Store the run and a notice for each selected family (the portal shows it)."""
    now = timezone.now()
    s = outcome.selection
    run = ScoringRun.objects.create(
        model_id=entry.id,
        ran_at=now,
        allowed=outcome.gate.allowed,
        state=outcome.gate.state,
        reasons=list(outcome.gate.reasons),
        candidates=outcome.candidates,
        permitted=outcome.permitted,
        refused=outcome.refused,
        scored=outcome.scored,
        above_threshold=s.above_threshold if s else 0,
        over_capacity=s.not_selected_over_capacity if s else 0,
        selected=outcome.selected,
        capacity=entry.service_capacity,
        threshold=entry.operating_threshold,
    )
    if not outcome.gate.allowed:
        withdraw_notices(entry.id)
        return run
    assert s is not None
    objected = set(
        FlagNotice.objects.filter(model_id=entry.id, status=FlagNotice.Status.OBJECTED).values_list("household_ref", flat=True)
    )
    notices = [
        FlagNotice(
            run=run,
            model_id=entry.id,
            household_ref=row.household_id,
            person_ref=row.person_id,
            score=float(row.score),
            inputs=(explanations or {}).get(row.person_id, []),
            title="We think your family might want some early help",
            message=(
                f"A computer model ('{entry.name}') looked at some of the records we hold about your family, "
                "with your consent, and suggested that the early help team offer you support. Nobody has made any "
                "decision about your family. A family support worker will read the records it used before contacting you, "
                "and you can say no at any time."
            ),
            how_to_object=OBJECT_TEXT.format(contact=entry.contact),
            created_at=now,
        )
        for row in s.selected.itertuples()
        if row.household_id not in objected
    ]
    FlagNotice.objects.bulk_create(notices)
    return run


def object_to_notice(notice_id: int, household_ref: str, text: str = "") -> FlagNotice:
    """A family objects: the flag is removed now and they are not flagged again while it stands."""
    notice = FlagNotice.objects.get(pk=notice_id, household_ref=household_ref)
    notice.status = FlagNotice.Status.OBJECTED
    notice.objected_at = timezone.now()
    notice.objection = text
    notice.save(update_fields=["status", "objected_at", "objection"])
    return notice


def notices_for_household(household_ref: str) -> list[FlagNotice]:
    """For the parent portal (whose views ask the policy door first)."""
    return list(FlagNotice.objects.filter(household_ref=household_ref).order_by("-created_at"))
