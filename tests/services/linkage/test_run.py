"""famlink link over stored records: stable ids, rejections, consent filter, households."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from django.db.models import Count

from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.family.models import Household, Person, Relationship
from famlink.adapters.storage.linkage.models import LinkageRun, PersonEvent, RecordAssignment
from famlink.adapters.storage.linkage.store import (
    person_links,
    reject_link,
)
from famlink.core.policy import Actor, Role
from famlink.services.governance.consent import set_opt_out
from famlink.services.governance.safeguarding import authorise_break_glass
from famlink.services.linkage.evaluation import evaluate_against_truth
from famlink.services.linkage.run import latest_run, link_records
from tests.common import builders
from tests.common.extracts import ingest_synth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("linkage_without_consent")]
DUCKDB = linkage_engine()


def _assignments(run: LinkageRun) -> dict[int, str]:
    return dict(RecordAssignment.objects.filter(run=run).values_list("record_id", "person__public_id"))


def test_ids_stay_stable_when_a_new_extract_arrives(synth: Path) -> None:
    names = sorted(p.stem for p in (synth / "extracts").glob("*.csv"))
    ingest_synth(synth, names[:-1])
    first = link_records(DUCKDB)
    before = _assignments(latest_run())
    ingest_synth(synth, names[-1:])
    second = link_records(DUCKDB)
    assert second["model_version"] == first["model_version"] and not second["retrained"]
    after = _assignments(latest_run())
    merged = {e.person.public_id for e in PersonEvent.objects.filter(
        run=latest_run(), kind=PersonEvent.Kind.MERGED)}
    for record, person in before.items():
        assert after[record] == person or person in merged
    assert len(after) > len(before)
    quality = evaluate_against_truth(synth / "truth.csv")
    assert quality["pairwise"]["precision"] >= 0.98


def test_a_rejected_link_survives_reruns(synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations", "hospital_appointments"])
    link_records(DUCKDB)
    person = (RecordAssignment.objects.filter(run=latest_run()).values("person")
              .annotate(n=Count("id"))
              .filter(n__gte=3).order_by("person").first())
    records = list(RecordAssignment.objects.filter(run=latest_run(), person_id=person["person"])
                   .values_list("record_id", flat=True))
    public = Person.objects.get(pk=person["person"]).public_id
    assert person_links(public)[0]["explanation"]
    reject_link(records[0], person_public_id=public, rejected_by="dpo", reason="parent's dispute")
    for _ in range(2):
        link_records(DUCKDB)
        now = _assignments(latest_run())
        assert all(now[records[0]] != now[r] for r in records[1:])


def test_opted_out_persons_records_are_held_out(synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations", "school_census"])
    link_records(DUCKDB)
    before = _assignments(latest_run())
    person = next(iter(before.values()))
    theirs = {r for r, p in before.items() if p == person}
    opted = Person.objects.get(public_id=person)
    set_opt_out(opted, "linkage", True, recorded_by=Actor(id="dpo", role=Role.DPO))
    summary = link_records(DUCKDB)
    assert summary["counts"]["records_excluded_by_consent_filter"] == len(theirs)
    assert person in summary["exclusions"]
    held = RecordAssignment.objects.filter(run=latest_run(), record_id__in=theirs)
    assert all(a.match_probability is None and a.person.public_id == person for a in held)
    authorise_break_glass(opted, builders.staff(), builders.authoriser(),
                          "Section 47 enquiry: records needed to identify the child.")
    exempt = link_records(DUCKDB)
    assert exempt["counts"]["records_excluded_by_consent_filter"] == 0
    assert "Section 47" in exempt["exemptions"][person]


def test_households_and_parents_are_found(synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations", "school_census", "housing"])
    summary = link_records(DUCKDB)
    assert summary["counts"]["households"] == Household.objects.filter(memberships__isnull=False).distinct().count()
    assert Relationship.objects.filter(kind="parent_of", parental_responsibility=True).exists()
    children = pd.DataFrame(list(Relationship.objects.filter(kind="parent_of").values("to_person")))
    assert not children.empty


def test_quality_bar_on_a_small_fixed_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's bar (pairwise precision >= 0.995, F1 >= 0.97 at the default
    threshold) on every source of a small synthetic population; the 20,000-family
    figures are in docs/performance.md (bench/linkage/run.py)."""
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    generate(150, 11, tmp_path / "s")
    ingest_synth(tmp_path / "s", sorted(p.stem for p in (tmp_path / "s" / "extracts").glob("*.csv")))
    link_records(DUCKDB)
    quality = evaluate_against_truth(tmp_path / "s" / "truth.csv")
    assert quality["pairwise"]["precision"] >= 0.995
    assert quality["pairwise"]["f1"] >= 0.97


def test_trained_model_never_weighs_agreement_against_a_match(synth: Path) -> None:
    """A level that means two records agree is never evidence against them being one person,
    neither in the model card nor in the evidence a parent reads (term frequencies included)."""
    from famlink.services.linkage.model_card import model_card

    names = sorted(p.stem for p in (synth / "extracts").glob("*.csv"))
    ingest_synth(synth, names)
    summary = link_records(DUCKDB, retrain=True)
    card = model_card()
    against = [(c["name"], lv["label"], lv["match_weight"]) for c in card["comparisons"]
               for lv in c["levels"] if lv["kind"] == "agreement" and lv["match_weight"] < 0]
    assert not against
    kinds = {lv["kind"] for c in card["comparisons"] for lv in c["levels"]}
    assert kinds == {"agreement", "different", "missing"}
    assert card["model_version"] == summary["model_version"]
    training = card["training"]
    assert training["run"] == summary["run"] and training["records"] == summary["counts"]["records_linked"]
    assert set(training["records_by_source"]) == set(names)
    assert sum(training["records_by_source"].values()) == summary["counts"]["records"]
    evidence = [e for person in Person.objects.values_list("public_id", flat=True)
                for link in person_links(person) for e in link["evidence"]]
    agreeing = [e for e in evidence if "with name or date of birth agreeing" in e["label"]]
    assert agreeing and all(e["weight"] > 0 for e in agreeing)
