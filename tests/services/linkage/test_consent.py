"""Linkage obeys the consent model it publishes (default ``consent``): across services only with a yes.

On a small synthetic population: with nobody answered, nobody's records are
matched across services, but duplicates within one service still are; after
one parent says yes, their records from different services join, while a
parent who has not answered, and one who said no, stay apart across services
on full and incremental runs alike.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import RecordAssignment
from famlink.core.consent import ConsentLevel
from famlink.core.linkage.consent import PersonLinkageOutcome
from famlink.core.roles import Relation
from famlink.core.taxonomy import Purpose
from famlink.services.governance.consent import ConsentRequest, change_consent
from famlink.services.linkage.incremental import link_new_records
from famlink.services.linkage.run import latest_run, link_records
from tests.common.extracts import ingest_synth

pytestmark = pytest.mark.django_db(transaction=True)
DUCKDB = linkage_engine()


@pytest.fixture
def synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FAMLINK_CONSENT_MODELS", raising=False)  # the default: consent
    generate(40, 5, tmp_path / "s")
    return tmp_path / "s"


def _held(root: Path) -> pd.DataFrame:
    """Latest run: record, its person, its service (sector) and its true person."""
    rows = RecordAssignment.objects.filter(run=latest_run()).values_list(
        "record_id", "person__public_id", "record__source__name", "record__source__organisation__sector",
        "record__local_id")
    frame = pd.DataFrame(list(rows), columns=["record", "person", "source", "sector", "local_id"])
    truth = pd.read_csv(root / "truth.csv", dtype=str)
    return frame.merge(truth, left_on=["source", "local_id"], right_on=["source", "record_key"])


def _true_person_across(held: pd.DataFrame, taken: set[str]) -> str:
    """A true adult person (P...) with records in several services, not ``taken``."""
    sectors = held.groupby("person_id")["sector"].nunique().sort_index()
    return next(p for p, n in sectors.items() if n >= 3 and p not in taken)


def _say(person: str, action: str) -> None:
    change_consent(ConsentRequest(person=Person.objects.get(public_id=person), purpose=Purpose.RECORD_LINKAGE,
                                  action=action, decided_by_id="test-parent", decided_by=Relation.OWN,
                                  level=ConsentLevel.ACROSS_SERVICES, subject_age=30))


def _obeys_consent(held: pd.DataFrame, outcomes: list[PersonLinkageOutcome]) -> None:
    """Every person holding records from several services is one the policy allowed."""
    allowed = {o.person_id for o in outcomes if o.allowed_across_services}
    spanning = held.groupby("person")["sector"].nunique()
    assert set(spanning[spanning > 1].index) <= allowed


def test_only_people_who_said_yes_are_matched_across_services(synth: Path) -> None:
    ingest_synth(synth, sorted(p.stem for p in (synth / "extracts").glob("*.csv")))
    first = link_records(DUCKDB)
    held = _held(synth)
    assert held.groupby("person")["sector"].nunique().max() == 1  # nobody answered: nothing across services
    assert first["counts"]["persons_allowed_across_services"] == 0
    # within one service, duplicates are still merged: GP and hospital records (both health) of one person
    within = held.groupby(["person_id", "sector"])["person"].nunique()
    assert (within == 1).mean() >= 0.9
    assert (held.groupby("person")["source"].nunique() > 1).any()

    yes = _true_person_across(held, set())
    unanswered = _true_person_across(held, {yes})
    no = _true_person_across(held, {yes, unanswered})
    _say(held.loc[held["person_id"] == yes, "person"].iloc[0], "give")
    _say(held.loc[held["person_id"] == no, "person"].iloc[0], "refuse")

    second = link_records(DUCKDB)
    held = _held(synth)
    _obeys_consent(held, second["outcomes"])
    theirs = held[held["person_id"] == yes]
    assert theirs["person"].nunique() == 1 and theirs["sector"].nunique() >= 3  # all joined
    assert set(held.loc[held["person"] == theirs["person"].iloc[0], "person_id"]) == {yes}
    for other in (unanswered, no):
        records = held[held["person_id"] == other]
        assert records["sector"].nunique() >= 3
        assert held[held["person"].isin(records["person"])].groupby("person")["sector"].nunique().max() == 1
    outcome = {o.person_id: o for o in second["outcomes"]}
    kept = [outcome[p] for p in held.loc[held["person_id"] == unanswered, "person"].unique()]
    assert not any(o.allowed_across_services for o in kept)
    assert any(o.kept_apart for o in kept)  # the matches were found, and kept apart
    refused = [outcome[p] for p in held.loc[held["person_id"] == no, "person"].unique()]
    assert any("consent_refused" in o.reasons for o in refused)  # the policy's reason code


def test_incremental_runs_keep_unanswered_people_apart_too(synth: Path) -> None:
    names = sorted(p.stem for p in (synth / "extracts").glob("*.csv"))
    ingest_synth(synth, [n for n in names if n != "school_census"])
    link_records(DUCKDB)
    held = _held(synth)
    yes = _true_person_across(held, set())
    _say(held.loc[held["person_id"] == yes, "person"].iloc[0], "give")
    link_records(DUCKDB)
    ingest_synth(synth, ["school_census"])
    summary = link_new_records(DUCKDB)
    held = _held(synth)
    _obeys_consent(held, summary["outcomes"])
    assert summary["counts"]["links_kept_apart_by_consent"] > 0  # new school records matched, and kept apart
