"""Every linkage run in the audit log: one entry per run, a leaf per person, a two-level proof that holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from famlink import config
from famlink.adapters.linkage import linkage_engine
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.linkage.models import RecordAssignment, RunCommitment, RunLogLeaf
from famlink.adapters.storage.sources.models import Source
from famlink.core.audit import AuditEntry, signing_key
from famlink.core.audit.runs import RunLeaf, check_run_proof, commitment_of
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.policy import Actor, Role
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.audit.run_proofs import prove_run
from famlink.services.governance.consent import set_opt_out
from famlink.services.linkage.incremental import link_new_records
from famlink.services.linkage.run import latest_run, link_records
from tests.common.extracts import ingest_synth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("linkage_without_consent")]
DUCKDB = linkage_engine()


def _key():  # type: ignore[no-untyped-def]
    return signing_key(config.data_dir()).public_key()


def test_a_full_run_commits_to_one_leaf_per_person_in_one_entry(synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations", "school_census"])
    entries_before = AuditLogEntry.objects.count()
    summary = link_records(DUCKDB)
    run = latest_run()
    commitment = RunCommitment.objects.get(run=run)
    held = dict(RecordAssignment.objects.filter(run=run).values_list("record_id", "person__public_id"))
    persons = sorted(set(held.values()))
    assert summary["counts"]["audit_log_persons"] == commitment.size == len(persons)
    assert summary["audit_log"] == {"persons": commitment.size, "root": bytes(commitment.root).hex(),
                                    "audit_index": commitment.audit_index}
    assert AuditLogEntry.objects.count() == entries_before + 1  # one entry for the whole run
    entry = AuditEntry.from_bytes(bytes(AuditLogEntry.objects.get(index=commitment.audit_index).entry_bytes))
    said = commitment_of(entry)
    assert (said.run, said.size, said.root) == (run.pk, commitment.size, bytes(commitment.root))

    person = persons[len(persons) // 2]
    leaf = RunLeaf.from_bytes(bytes(RunLogLeaf.objects.get(run=run, person=person).leaf))
    assert leaf.records_joined == sum(1 for p in held.values() if p == person)
    assert leaf.services and not leaf.kept_apart and leaf.run == run.pk

    with pytest.raises(NotFound, match="no tree head"):
        prove_run(person, run.pk)
    publish()
    proof = prove_run(person, run.pk)
    assert check_run_proof(json.loads(json.dumps(proof)), _key(), person=person, run=run.pk).ok
    with pytest.raises(NotFound):
        prove_run("P-NOT-IN-RUN", run.pk)


def test_an_opted_out_person_is_told_their_services_were_kept_apart_and_incremental_runs_commit_too(
        synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations", "school_census"])
    link_records(DUCKDB)
    first = latest_run()
    person = RecordAssignment.objects.filter(run=first).values_list("person__public_id", flat=True).first()
    set_opt_out(Person.objects.get(public_id=person), "linkage", True, recorded_by=Actor(id="dpo", role=Role.DPO))
    ingest_synth(synth, ["hospital_appointments"])
    link_new_records(DUCKDB)
    second = latest_run()
    assert second.pk != first.pk and RunCommitment.objects.filter(run=second).exists()
    leaf = RunLeaf.from_bytes(bytes(RunLogLeaf.objects.get(run=second, person=person).leaf))
    sector = dict(Source.objects.values_list("name", "organisation__sector"))
    assert set(leaf.kept_apart) == {sector[name] for name in leaf.services} and not leaf.across_services
    assert "opted_out_of_linkage" in leaf.kept_apart_reasons

    publish()
    for run in (first, second):
        assert check_run_proof(prove_run(person, run.pk), _key(), person=person, run=run.pk).ok


def test_a_leaf_changed_in_the_database_gets_a_refusal_not_a_proof(synth: Path) -> None:
    ingest_synth(synth, ["gp_registrations"])
    link_records(DUCKDB)
    publish()
    run = latest_run()
    row = RunLogLeaf.objects.filter(run=run).first()
    assert row is not None
    row.leaf = bytes(row.leaf).replace(b'"records_joined":', b'"records_joined":9')
    row.save(update_fields=["leaf"])
    with pytest.raises(InvalidInput, match="does not hold"):
        prove_run(row.person, run.pk)
