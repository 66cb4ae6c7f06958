"""Alerts: raised for everyone with the family on their caseload, read and acknowledged by them alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.adapters.storage.workspace.alerting import alerts_for_extract
from famlink.adapters.storage.workspace.models import Alert
from famlink.core.errors import Conflict, NotFound
from famlink.core.taxonomy import RecordStatus
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.services.sources.ingest import ingest_extract
from famlink.services.workspace.alerts import acknowledge, alerts_for, raise_alert, unacknowledged
from famlink.services.workspace.caseload import allocate, end_allocation
from tests.common import builders

pytestmark = pytest.mark.django_db

DEFINITION = """
[source]
name = "clinic"
title = "Riverside clinic appointments"
organisation = "Riverside Clinic"
sector = "health"
organisation_type = "public"
record_categories = ["health.appointment"]
lawful_basis = "public_task"
purposes = ["service.direct_delivery"]
retention_years = 8
refresh = "monthly"

[file]
format = "csv"
key = "ref"

[defaults]
category = "health.appointment"

[columns.ref]
field = "local_id"
required = true

[columns.patient]
field = "person_ref"

[columns.forename]
field = "first_name"

[columns.outcome]
field = "status"
map = { DNA = "did_not_attend", ATT = "attended" }
allowed = ["did_not_attend", "attended"]
"""


def test_everyone_with_the_family_on_their_caseload_is_alerted_and_nobody_else() -> None:
    fam = builders.family("Alert")
    jo, kim, lee = builders.staff(name="jo"), builders.staff(name="kim"), builders.staff(name="lee")
    allocate("jo", fam.child.public_id)
    allocate("kim", fam.mother.public_id)
    allocate("lee", fam.child.public_id)
    end_allocation("lee", fam.child.public_id)  # off the caseload: told nothing more
    told = raise_alert(fam.father, Alert.Kind.SHARING_DECISION, "Information shared with the school", by=actor_for(kim.user))
    assert told == 1  # jo (the father's child is on jo's caseload); kim made the decision; lee left
    assert [a.summary for a in alerts_for(actor_for(jo.user))] == ["Information shared with the school"]
    assert alerts_for(actor_for(kim.user)) == [] and alerts_for(actor_for(lee.user)) == []
    other = builders.family("Elsewhere")
    assert raise_alert(other.child, Alert.Kind.BREAK_GLASS, "Child-protection access was approved") == 0


def test_only_its_own_member_of_staff_acknowledges_an_alert_and_unread_come_first() -> None:
    fam = builders.family("Ack")
    jo, kim = builders.staff(name="jo"), builders.staff(name="kim")
    allocate("jo", fam.child.public_id)
    raise_alert(fam.child, Alert.Kind.NEW_RECORD, "First")
    raise_alert(fam.child, Alert.Kind.NEW_RECORD, "Second")
    first = Alert.objects.get(summary="First")
    with pytest.raises(NotFound):
        acknowledge(actor_for(kim.user), first.pk, "not mine")
    with pytest.raises(NotFound):
        acknowledge(actor_for(jo.user), first.pk + 1000, "")
    done = acknowledge(actor_for(jo.user), str(first.pk), "Phoned the school")
    assert done.acknowledged_at is not None and done.note == "Phoned the school"
    with pytest.raises(Conflict):
        acknowledge(actor_for(jo.user), first.pk, "")
    assert [a.summary for a in alerts_for(actor_for(jo.user))] == ["Second", "First"]
    assert unacknowledged(actor_for(jo.user)) == 1


@settings(max_examples=30, deadline=None)
@given(alert_id=st.text(min_size=1, max_size=30))
def test_any_text_as_an_alert_id_is_not_found(alert_id: str) -> None:
    staff = builders.staff()
    with pytest.raises(NotFound):
        acknowledge(actor_for(staff.user), alert_id, "")


def test_the_familys_dispute_and_statement_and_the_teams_correction_alert_the_caseload() -> None:
    fam = builders.family("Rights")
    jo = builders.staff(name="jo")
    allocate("jo", fam.child.public_id)
    create_parent("mum", fam.mother, password="not-a-real-password-1")
    mum = fam.mother.parent_account.user
    record = fam.child.assignments.first().record
    made = requests.report(actor_for(mum), mum, fam.child, record.pk, "request:rectification", "This is wrong: PRIVATE")
    requests.report(actor_for(mum), mum, fam.child, record.pk, "request:context", "Our side of it: PRIVATE")
    builders.team_corrects(made.reference, "The clinic agreed", requests.Correction(status=RecordStatus.ATTENDED.value))
    got = alerts_for(actor_for(jo.user))
    assert sorted(a.kind for a in got) == ["record corrected", "the family added a statement", "the family disputed a record"]
    assert all("PRIVATE" not in a.summary and "note about" not in a.summary for a in got)  # never the content
    assert all(record.source.organisation.name in a.summary for a in got)


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("ref,patient,forename,outcome\n" + "\n".join(rows) + "\n")
    return path


def test_an_ingest_alerts_the_caseload_of_families_it_brings_something_new_about(tmp_path: Path) -> None:
    definition = tmp_path / "clinic.toml"
    definition.write_text(DEFINITION)
    first = ingest_extract(definition, write(tmp_path / "one.csv", ["A1,P-7,Sam,ATT", "B1,P-9,Ola,ATT"]))
    child, stranger = Person.objects.create(display_name="Sam"), Person.objects.create(display_name="Ola")
    mother = Person.objects.create(display_name="Mum")
    Relationship.objects.create(from_person=mother, to_person=child, kind="parent_of", parental_responsibility=True)
    run = LinkageRun.objects.create(started_at=timezone.now(), status=LinkageRun.Status.COMPLETE, engine="t", model_version="t")
    for record in SourceRecord.objects.filter(extract_id=first.extract_id):
        RecordAssignment.objects.create(run=run, record=record, person=child if record.person_ref == "P-7" else stranger)
    jo = builders.staff(name="jo")
    allocate("jo", mother.public_id)  # the mother's caseload hears about her child
    second = ingest_extract(definition, write(tmp_path / "two.csv", ["A1,P-7,Sam,DNA", "A2,P-7,Sam,ATT", "B2,P-9,Ola,DNA"]))
    assert second.updated == 1
    got = alerts_for(actor_for(jo.user))
    assert [(a.person_id, a.summary) for a in got] == [
        (child.public_id, "A new record and a new version of a record from Riverside Clinic")]
    again = ingest_extract(definition, tmp_path / "two.csv")
    assert again.already_ingested and len(alerts_for(actor_for(jo.user))) == 1  # the same file: nothing new
    resent = ingest_extract(definition, write(tmp_path / "three.csv", ["A2,P-7,Sam,ATT"]))
    assert resent.repeated == 1 and len(alerts_for(actor_for(jo.user))) == 1  # a record sent again is not news
    with CaptureQueriesContext(connection) as queries:
        alerts_for_extract(second.extract_id)
    assert len(queries) <= 8  # a handful per extract, whatever its size: never one per row


def test_an_ingest_with_nobody_allocated_reads_nothing_more(tmp_path: Path) -> None:
    definition = tmp_path / "clinic.toml"
    definition.write_text(DEFINITION)
    report = ingest_extract(definition, write(tmp_path / "one.csv", ["A1,P-7,Sam,ATT"]))
    with CaptureQueriesContext(connection) as queries:
        assert alerts_for_extract(report.extract_id) == 0
    assert len(queries) == 1
