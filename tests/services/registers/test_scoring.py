"""Registered or it does not run, end to end in the database, through the policy door."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from famlink.adapters.storage.governance.models import AuditLogEntry, Consent
from famlink.adapters.storage.registers import store
from famlink.adapters.storage.registers.models import FlagNotice
from famlink.core.registers import load_algorithms
from famlink.core.targeting import early_help
from famlink.core.targeting.features import FEATURE_NAMES
from famlink.core.taxonomy import Purpose
from famlink.services.registers import exports
from famlink.services.registers.scoring import score_database
from tests.common import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.poisson(1.0, (400, len(FEATURE_NAMES))).astype(float), columns=list(FEATURE_NAMES))
    frame["label"] = (rng.random(400) < 0.2).astype(int)
    early_help.save(early_help.train("early-help-v1", frame, "2022-01-01"), tmp_path / "m")
    return tmp_path / "m"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    src = builders.source("childrens_social_care")
    families = [builders.family(f"f{i}", src) for i in range(3)]
    now = timezone.now()
    for fam in families[:2]:  # the third family never consented
        for person in (fam.mother, fam.father, fam.child):
            Consent.objects.create(person=person, purpose=Purpose.EARLY_HELP_IDENTIFICATION.value, level="across_services",
                                   state="given", recorded_at=now, expires_at=now + timedelta(days=300), version=1)
    entry = next(e for e in load_algorithms() if e.id == "early-help-v1")
    entry = dataclasses.replace(entry, data_sources=(src.name,), operating_threshold=0.0, service_capacity=1)
    return entry, families


def _assessment(entry, passed: bool, days_ago: int = 1) -> None:  # type: ignore[no-untyped-def]
    ran = timezone.now() - timedelta(days=days_ago)
    store.record_assessment({"model_id": entry.id, "ran_at": ran.isoformat(), "passed": passed,
                             "criteria_sha256": entry.criteria_sha256, "headline": {"auroc": 0.7}})


def test_never_assessed_model_reads_and_scores_nobody(world, model_dir) -> None:  # type: ignore[no-untyped-def]
    entry, _ = world
    before = AuditLogEntry.objects.count()
    outcome, run = score_database(entry, model_dir)
    assert run.selected == 0 and not run.allowed and "never been independently assessed" in outcome.summary()
    assert AuditLogEntry.objects.count() == before  # nobody's records were even asked for


def test_passing_model_scores_through_the_door_within_capacity(world, model_dir) -> None:  # type: ignore[no-untyped-def]
    entry, families = world
    _assessment(entry, True)
    _outcome, run = score_database(entry, model_dir)
    assert run.allowed and run.candidates == 3 and run.permitted == 2
    assert sum(run.refused.values()) == 1  # the family without consent is not scored
    assert run.selected == 1 and run.over_capacity == 1  # capacity 1: the other family is counted, not flagged
    notice = FlagNotice.objects.get(run=run)
    assert notice.household_ref in {f.household.public_id for f in families[:2]}
    assert "say no" in notice.how_to_object
    scored = AuditLogEntry.objects.filter(action="model:scored")
    assert scored.filter(decision="allow").count() == 6 and scored.filter(decision="deny").count() == 3


def test_failed_assessment_suspends_and_withdraws_flags(world, model_dir) -> None:  # type: ignore[no-untyped-def]
    entry, _ = world
    _assessment(entry, True, days_ago=3)
    score_database(entry, model_dir)
    _assessment(entry, False, days_ago=0)
    outcome, run = score_database(entry, model_dir)
    assert run.selected == 0 and run.state == "suspended" and "failed" in outcome.summary()
    assert not FlagNotice.objects.filter(status=FlagNotice.Status.ACTIVE).exists()


def test_stale_assessment_scores_nobody(world, model_dir) -> None:  # type: ignore[no-untyped-def]
    entry, _ = world
    _assessment(entry, True, days_ago=entry.review_interval_days + 2)
    _, run = score_database(entry, model_dir)
    assert run.selected == 0 and not run.allowed


def test_objecting_family_is_not_flagged_again(world, model_dir) -> None:  # type: ignore[no-untyped-def]
    entry, _ = world
    _assessment(entry, True)
    _, run = score_database(entry, model_dir)
    notice = FlagNotice.objects.get(run=run)
    store.object_to_notice(notice.pk, notice.household_ref, "No thank you")
    _, again = score_database(entry, model_dir)
    assert not FlagNotice.objects.filter(run=again, household_ref=notice.household_ref).exists()


@pytest.mark.parametrize("name", exports.REGISTERS)
def test_exports_validate_against_their_schema(world, name: str) -> None:  # type: ignore[no-untyped-def]
    entry, _ = world
    _assessment(entry, False)
    data = exports.build(name)
    jsonschema.Draft202012Validator(exports.schema(name), format_checker=jsonschema.FormatChecker()).validate(data)
    assert exports.as_csv(name, data).splitlines()[0].startswith(exports.CSV_COLUMNS[name][0])
