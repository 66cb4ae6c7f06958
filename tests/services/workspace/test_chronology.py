"""The chronology: a source on every line, status in words, uncertain dates marked, the family's words beside."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.services.workspace.chronology import ChronologyFilter, chronology, chronology_pdf
from famlink.services.workspace.words import CORRECTED, DISPUTED, EXPIRED, NO_DATE, PRECISION_WORDS
from tests.common import builders

pytestmark = pytest.mark.django_db
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY


@pytest.fixture
def fam() -> builders.Family:
    fam = builders.consenting_family("Chrono")
    return fam


def practitioner() -> object:
    return actors.actor_for(builders.staff().user)


def test_every_line_has_a_source_and_statuses_are_words(fam: builders.Family) -> None:
    src = fam.child.assignments.first().record.source
    builders.record(src, fam.child, category="social_care.referral", status="unsubstantiated",
                    event_date=date(2025, 2, 3), note="referral about shoes")
    builders.record(src, fam.child, category="health.appointment", status="cancelled_by_provider",
                    event_date=date(2025, 3, 4))
    chrono = chronology(practitioner(), fam.child.public_id, DIRECT)  # type: ignore[arg-type]
    assert chrono.lines and all(line.organisation and line.source for line in chrono.lines)
    referral = next(line for line in chrono.lines if line.note == "referral about shoes")
    assert referral.event == "Referral to children's social care"
    assert referral.statuses == ("unsubstantiated: not a finding",) and referral.date_shown == "3 February 2025"
    cancelled = next(line for line in chrono.lines if line.event_date == date(2025, 3, 4))
    assert cancelled.statuses == ("cancelled by the provider, not the family",)
    assert "sensitive note Chrono" in {line.note for line in chrono.lines}  # direct delivery may see it
    assert [line.event_date for line in chrono.lines if line.event_date] == sorted(
        (line.event_date for line in chrono.lines if line.event_date), reverse=True)


def test_uncertain_dates_are_marked(fam: builders.Family) -> None:
    src = fam.child.assignments.first().record.source
    builders.record(src, fam.child, note="no date at all")
    builders.record(src, fam.child, note="month only", event_date=date(2024, 6, 1),
                    attributes={"date_precision": "month"})
    lines = {line.note: line for line in chronology(practitioner(), fam.child.public_id, DIRECT).lines}  # type: ignore[arg-type]
    assert lines["no date at all"].date_shown == NO_DATE and lines["no date at all"].date_uncertain
    assert lines["month only"].date_shown == "June 2024"
    assert lines["month only"].date_uncertain == PRECISION_WORDS["month"]
    assert lines["note about Child Chrono"].date_uncertain == NO_DATE  # the builder's records have no date


def test_the_parents_statement_sits_beside_the_record_and_a_dispute_is_a_status(fam: builders.Family) -> None:
    create_parent("chrono-mum", fam.mother, password="not-a-real-password-1")
    mum = User.objects.get(username="chrono-mum")
    record = next(a.record for a in fam.child.assignments.all() if a.record.note == "note about Child Chrono")
    requests.report(actors.actor_for(mum), mum, fam.child, record.pk, "request:rectification",
                    "He was on the trampoline, not outside without shoes")
    line = next(line for line in chronology(practitioner(), fam.child.public_id, DIRECT).lines  # type: ignore[arg-type]
                if line.note == "note about Child Chrono")
    assert DISPUTED in line.statuses
    assert [s.statement for s in line.statements] == ["He was on the trampoline, not outside without shoes"]


def test_corrected_and_expired_records_say_so(fam: builders.Family) -> None:
    src = fam.child.assignments.first().record.source
    old = builders.record(src, fam.child, event_date=timezone.localdate() - timedelta(days=365 * 9), note="old one")
    builders.record(src, fam.child, event_date=date(2025, 1, 1), note="second version", version=2, supersedes=old,
                    correction_reason="wrong clinic")
    lines = {line.note: line for line in chronology(practitioner(), fam.child.public_id, DIRECT).lines}  # type: ignore[arg-type]
    assert "old one" not in lines  # the replaced version is history, not a line
    assert CORRECTED in lines["second version"].statuses
    assert "wrong clinic" in lines["second version"].before_correction[0]
    builders.record(src, fam.child, event_date=timezone.localdate() - timedelta(days=365 * 8), note="kept too long")
    lines = {line.note: line for line in chronology(practitioner(), fam.child.public_id, DIRECT).lines}  # type: ignore[arg-type]
    assert EXPIRED in lines["kept too long"].statuses


def test_filters_narrow_by_person_agency_and_period_and_never_reach_outside_the_family(fam: builders.Family) -> None:
    other = builders.family("Elsewhere")
    health = fam.child.assignments.first().record.source
    school = builders.source("education")
    builders.record(school, fam.child, category="education.exclusion", event_date=date(2025, 9, 9), note="excluded")
    builders.record(health, fam.child, event_date=date(2023, 1, 1), note="long ago")
    actor = practitioner()
    chrono = chronology(actor, fam.child.public_id, DIRECT, ChronologyFilter(person=fam.child.public_id))  # type: ignore[arg-type]
    assert {line.person_id for line in chrono.lines} == {fam.child.public_id}
    by_agency = chronology(actor, fam.child.public_id, DIRECT,  # type: ignore[arg-type]
                           ChronologyFilter(agency=school.organisation.name))
    assert [line.note for line in by_agency.lines] == ["excluded"]
    period = chronology(actor, fam.child.public_id, DIRECT,  # type: ignore[arg-type]
                        ChronologyFilter(date_from=date(2024, 1, 1), date_to=date(2025, 12, 31)))
    assert "long ago" not in {line.note for line in period.lines} and "excluded" in {line.note for line in period.lines}
    with pytest.raises(InvalidInput) as error:
        chronology(actor, fam.child.public_id, DIRECT, ChronologyFilter(person=other.child.public_id))  # type: ignore[arg-type]
    assert error.value.where == "person"
    assert not AuditLogEntry.objects.filter(subject_id=other.child.public_id).exists()
    with pytest.raises(InvalidInput):
        ChronologyFilter(date_from=date(2025, 1, 2), date_to=date(2025, 1, 1))


def test_sharing_decisions_are_lines_with_their_lawful_basis(fam: builders.Family) -> None:
    staff = builders.staff(name="sharer")
    SharingDecision.objects.create(
        subject=fam.child, decided_by=staff, verdict="share", recipient="School nurse", purpose=DIRECT.value,
        lawful_basis="public_task", information="Attendance worries", reasons="Necessary to arrange support",
        decided_at=timezone.now())
    chrono = chronology(practitioner(), fam.child.public_id, DIRECT)  # type: ignore[arg-type]
    line = next(line for line in chrono.lines if line.kind == "sharing decision")
    assert line.event == "Information shared with School nurse" and "lawful basis: public task" in line.statuses
    assert line.organisation and line.source


def test_the_pdf_is_a_pdf_and_its_read_is_logged_as_an_export(fam: builders.Family) -> None:
    body = chronology_pdf(practitioner(), fam.child.public_id, DIRECT, case_reference="REF-9")  # type: ignore[arg-type]
    assert body.startswith(b"%PDF")
    assert AuditLogEntry.objects.filter(subject_id=fam.child.public_id,
                                        action=AuditEvent.RECORD_EXPORTED.value).exists()
