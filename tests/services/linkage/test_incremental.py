"""famlink link --incremental: new records join existing persons; no id changes meaning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from django.utils import timezone

from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import (
    LinkageRun,
    PairLink,
    PersonEvent,
    PersonLinks,
    RecordAssignment,
)
from famlink.adapters.storage.linkage.store import (
    assignments_frame,
    link_count,
    person_links,
    reject_link,
    run_links,
)
from famlink.adapters.storage.rights.models import RightsRequest
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.errors import InvalidInput
from famlink.core.linkage.evidence import pack
from famlink.core.linkage.packed_links import unpack_many
from famlink.core.policy import Actor, Role
from famlink.core.rights import new_reference
from famlink.services.governance.consent import set_opt_out
from famlink.services.linkage.evaluation import evaluate_against_truth
from famlink.services.linkage.incremental import link_new_records
from famlink.services.linkage.run import latest_run, link_records
from famlink.services.rights import requests
from famlink.services.sources.ingest import ingest_extract
from tests.common import builders

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("linkage_without_consent")]
DUCKDB = linkage_engine()
#: the source whose extract arrives in two parts (the second part is "new")
SPLIT = "hospital_appointments"
LAST = "welfare_benefits"


@pytest.fixture
def synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """40 synthetic families, everything linked except a second hospital extract and
    the welfare extract, which are ingested (not linked) before the test starts."""
    from famlink.synth import generate

    monkeypatch.setenv("FAMLINK_DATA_DIR", str(tmp_path / "data"))
    root = tmp_path / "s"
    generate(40, 5, root)
    hospital = pd.read_csv(root / "extracts" / f"{SPLIT}.csv", dtype=str, keep_default_na=False)
    cut = len(hospital) * 6 // 10
    hospital.iloc[:cut].to_csv(tmp_path / "hospital_1.csv", index=False)
    hospital.iloc[cut:].to_csv(tmp_path / "hospital_2.csv", index=False)
    for name in sorted(p.stem for p in (root / "extracts").glob("*.csv")):
        if name not in (SPLIT, LAST):
            ingest_extract(root / "sources" / f"{name}.toml", root / "extracts" / f"{name}.csv")
    ingest_extract(root / "sources" / f"{SPLIT}.toml", tmp_path / "hospital_1.csv")
    link_records(DUCKDB)
    ingest_extract(root / "sources" / f"{SPLIT}.toml", tmp_path / "hospital_2.csv")
    ingest_extract(root / "sources" / f"{LAST}.toml", root / "extracts" / f"{LAST}.csv")
    return root


def _assignments(run: LinkageRun) -> dict[int, int]:
    return dict(RecordAssignment.objects.filter(run=run).values_list("record_id", "person_id"))


def _pairs(run: LinkageRun) -> set[tuple[int, int]]:
    links = run_links(run)
    pairs = set(zip(links["record_id_l"].tolist(), links["record_id_r"].tolist(), strict=True))
    assert len(pairs) == len(links)
    return pairs


def _truth(root: Path) -> dict[int, str]:
    """record id -> true person."""
    truth = pd.read_csv(root / "truth.csv", dtype=str)
    key = dict(zip(zip(truth["source"], truth["record_key"], strict=True), truth["person_id"], strict=True))
    return {rid: key[(source, local)] for rid, source, local in
            SourceRecord.objects.values_list("id", "source__name", "local_id") if (source, local) in key}


def test_new_records_join_their_person_and_no_existing_id_changes_meaning(synth: Path) -> None:
    first = latest_run()
    before = _assignments(first)
    links_before = _pairs(first)
    summary = link_new_records(DUCKDB)
    run = latest_run()
    after = _assignments(run)
    assert summary["mode"] == "incremental" and summary["extends_run"] == first.pk
    assert run.model_version == first.model_version and run.threshold == first.threshold
    assert set(after) == set(SourceRecord.objects.filter(superseded_by__isnull=True).values_list("id", flat=True))
    merged = {e.person_id: e.after["person"] for e in PersonEvent.objects.filter(run=run, kind="merged")}
    kept_as = dict(Person.objects.values_list("public_id", "id"))
    for record, person in before.items():  # same person, or merged into another with an event saying so
        assert after[record] == person or kept_as[merged[person]] == after[record]
    # a new record whose true person was one existing person joins that person
    truth = _truth(synth)
    person_of_truth: dict[str, set[int]] = {}
    for record, person in before.items():
        person_of_truth.setdefault(truth[record], set()).add(person)
    known = [(r, next(iter(person_of_truth[truth[r]]))) for r in set(after) - set(before)
             if len(person_of_truth.get(truth.get(r, ""), ())) == 1]
    assert len(known) > 100
    joined = sum(after[r] == p or p in merged for r, p in known)
    assert joined / len(known) >= 0.97
    assert summary["counts"]["new_records_joining_existing_persons"] >= joined
    # existing links carried over with their evidence; new links stored as a full run stores them
    links_after = _pairs(run)
    assert links_before < links_after and link_count(run) == len(links_after)
    assert summary["counts"]["links_carried_over"] == len(links_before)
    stored_under = {rid: person for person, blob in PersonLinks.objects.filter(run=run).values_list("person", "links")
                    for rid in unpack_many([bytes(blob)])["record_l"].tolist()}
    assert all(stored_under[left] == after[left] for left, _right in links_after)  # under the new run's person
    some = Person.objects.get(pk=after[known[0][0]]).public_id
    assert all(link["explanation"] for link in person_links(some))
    quality = evaluate_against_truth(synth / "truth.csv")
    assert quality["pairwise"]["precision"] >= 0.99


def test_a_bridge_between_two_persons_is_a_recorded_merge(synth: Path) -> None:
    """A person the last run wrongly kept as two (simulated by moving half their
    records to a new person) is joined by new records of theirs, with an event."""
    first = latest_run()
    truth = _truth(synth)
    before = _assignments(first)
    new = set(SourceRecord.objects.filter(superseded_by__isnull=True).values_list("id", flat=True)) - set(before)
    new_truth = {truth[r] for r in new if r in truth}
    records_of: dict[int, list[int]] = {}
    for record, person in before.items():
        records_of.setdefault(person, []).append(record)
    person = next(p for p, rs in sorted(records_of.items(), key=lambda item: -len(item[1]))
                  if truth[rs[0]] in new_truth and len({truth[r] for r in rs}) == 1)
    moved = sorted(records_of[person])[: len(records_of[person]) // 2]
    other = Person.objects.create(display_name="split off")
    RecordAssignment.objects.filter(run=first, record_id__in=moved).update(person=other)
    summary = link_new_records(DUCKDB)
    after = _assignments(latest_run())
    assert after[moved[0]] == after[sorted(records_of[person])[-1]]
    names = {Person.objects.get(pk=person).public_id, other.public_id}
    merge = [e for e in summary["merges"] if set(e["before"]["persons"]) == names]
    assert merge and merge[0]["after"]["person"] in names
    gone = Person.objects.get(public_id=merge[0]["person__public_id"])
    assert gone.status == Person.Status.MERGED and summary["splits"] == []


def test_a_rejection_keeps_a_new_record_out_of_the_person(synth: Path) -> None:
    first = latest_run()
    truth = _truth(synth)
    before = _assignments(first)
    persons_of: dict[str, set[int]] = {}
    for record, person in before.items():
        persons_of.setdefault(truth[record], set()).add(person)
    new = sorted(set(SourceRecord.objects.filter(superseded_by__isnull=True).values_list("id", flat=True))
                 - set(before))
    record = next(r for r in new if len(persons_of.get(truth.get(r, ""), ())) == 1)
    person = Person.objects.get(pk=next(iter(persons_of[truth[record]])))
    reject_link(record, person_public_id=person.public_id, rejected_by="dpo", reason="parent's dispute")
    link_new_records(DUCKDB)
    after = _assignments(latest_run())
    assert after[record] != person.pk
    assert any(after[r] == person.pk for r, p in before.items() if p == person.pk)


def test_an_opted_out_subjects_new_records_stay_out(synth: Path) -> None:
    first = latest_run()
    before = _assignments(first)
    hospital = SourceRecord.objects.filter(source__name=SPLIT, superseded_by__isnull=True)
    refs_before = dict(hospital.filter(id__in=list(before)).values_list("person_ref", "id"))
    new_same_ref = [(rid, ref) for rid, ref in hospital.exclude(id__in=list(before))
                    .values_list("id", "person_ref") if ref in refs_before]
    _rid, ref = new_same_ref[0]
    person = before[refs_before[ref]]
    public = Person.objects.get(pk=person).public_id
    theirs_new = [r for r, f in new_same_ref if before[refs_before[f]] == person]
    set_opt_out(Person.objects.get(pk=person), "linkage", True, recorded_by=Actor(id="dpo", role=Role.DPO))
    summary = link_new_records(DUCKDB)
    after = _assignments(latest_run())
    assert not any(r in after for r in theirs_new)  # never linked, never assigned
    assert all(after[r] == person for r, p in before.items() if p == person)  # held out, keep their person
    excluded = summary["counts"]["records_excluded_by_consent_filter"]
    held = {r for r, p in before.items() if p == person}
    kept = {(a, b) for a, b in _pairs(first) if a not in held and b not in held}
    assert kept < _pairs(first) and kept <= _pairs(latest_run())  # their links stay behind, no one else's
    assert not any(a in held or b in held for a, b in _pairs(latest_run()))
    assert excluded >= sum(p == person for p in before.values()) + len(theirs_new)
    assert public in summary["exclusions"]


def test_only_a_full_relink_can_split_a_person(synth: Path) -> None:
    before = _assignments(latest_run())
    person = max(set(before.values()), key=lambda p: sum(q == p for q in before.values()))
    records = sorted(r for r, p in before.items() if p == person)
    reject_link(records[0], other_record_id=records[-1], rejected_by="dpo", reason="not the same child")
    with pytest.raises(InvalidInput, match="full re-link"):
        link_new_records(DUCKDB)


def test_a_run_stored_a_link_per_row_is_carried_over_and_explained(synth: Path) -> None:
    """Runs stored before links were packed per person keep being read and carried forward."""
    first = latest_run()
    comparisons = len(first.comparisons)
    links = unpack_many([bytes(b) for b in PersonLinks.objects.filter(run=first).values_list("links", flat=True)])
    person = PersonLinks.objects.filter(run=first).order_by("-count").values_list("person__public_id", flat=True)[0]
    packed = person_links(person)
    identical = links["flags"] == 1
    evidence = pack(links["levels"], links["weights"])
    PairLink.objects.bulk_create([PairLink(
        run=first, record_l_id=int(link["record_l"]), record_r_id=int(link["record_r"]),
        match_probability=float(link["match_probability"]), match_weight=float(link["match_weight"]),
        evidence=b"" if same else blob) for link, same, blob in zip(links, identical, evidence, strict=True)])
    PersonLinks.objects.filter(run=first).delete()
    assert person_links(person) == packed and comparisons
    summary = link_new_records(DUCKDB)
    run = latest_run()
    assert summary["counts"]["links_carried_over"] == len(links)
    assert PairLink.objects.filter(run=run).count() == len(links)  # copied as they were stored
    assert {(int(a), int(b)) for a, b in zip(links["record_l"], links["record_r"], strict=True)} < _pairs(run)
    now = {(link["record_id"], link["other_record_id"]): link for link in person_links(person)}
    assert all(now[link["record_id"], link["other_record_id"]] == link for link in packed)


def _corrected(record_id: int, note: str) -> SourceRecord:
    """The data team corrects a record a family disputed, as the team pages do."""
    record = SourceRecord.objects.get(pk=record_id)
    subject = Person.objects.get(pk=RecordAssignment.objects.filter(record=record).latest("run_id").person_id)
    made = RightsRequest.objects.create(
        reference=new_reference(), kind="request:rectification", subject=subject, record=record,
        requested_by=builders.user(), statement="This is wrong", received_at=timezone.now(),
        due_on=timezone.localdate())
    return builders.team_corrects(made.reference, "Checked", requests.Correction(note=note))


def test_a_corrected_record_corrected_again_keeps_its_person_and_links_without_a_full_relink(synth: Path) -> None:
    first = latest_run()
    before = _assignments(first)
    linked = _pairs(first)
    record = next(left for left, right in sorted(linked) if before[left] == before[right])
    second = _corrected(record, "corrected once")
    third = _corrected(second.pk, "corrected twice")

    summary = link_new_records(DUCKDB)  # no full re-link demanded
    run, after = latest_run(), _assignments(latest_run())
    assert summary["mode"] == "incremental"
    assert after[third.pk] == before[record] and record not in after and second.pk not in after
    assert all(after.get(r) == p for r, p in before.items() if r != record)  # nobody else moved
    renamed = {(third.pk if a == record else a, third.pk if b == record else b) for a, b in linked}
    assert renamed <= _pairs(run) and not any(record in pair for pair in _pairs(run))
    person = Person.objects.get(pk=before[record]).public_id
    assert any(third.pk in (link["record_id"], link["other_record_id"]) for link in person_links(person))


def test_a_record_sent_again_with_other_identifying_details_still_needs_a_full_relink(synth: Path) -> None:
    first = latest_run()
    record = SourceRecord.objects.get(pk=min(_assignments(first)))
    resent = SourceRecord.objects.get(pk=record.pk)
    resent.pk = resent.id = None
    resent.version, resent.supersedes, resent.surname = record.version + 1, record, f"{record.surname}-Other"
    resent.save()
    with pytest.raises(InvalidInput, match=r"other identifying details.*full re-link"):
        link_new_records(DUCKDB)
    assert latest_run() == first


def test_a_correction_is_listed_once_and_a_rejection_of_its_old_version_still_holds(synth: Path) -> None:
    """Evaluation lists the corrected record once, by its new version; a link rejected before the
    correction stays rejected for the new version, on the next full run too."""
    first = latest_run()
    before = _assignments(first)
    record, other = next((left, right) for left, right in sorted(_pairs(first)) if before[left] == before[right])
    reject_link(record, other_record_id=other, rejected_by="data team", reason="not the same person")
    corrected = _corrected(record, "the date was wrong")

    listed = assignments_frame()
    assert corrected.pk in set(listed["record_id"]) and record not in set(listed["record_id"])
    assert listed["record_id"].is_unique

    link_records(DUCKDB)
    after = _assignments(latest_run())
    assert record not in after and after[corrected.pk] != after[other]  # kept apart by its new version
