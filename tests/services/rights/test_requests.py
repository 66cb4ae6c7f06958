"""A family's request from report to outcome: disputed at once, decided, told, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from famlink.adapters.storage.governance import actors, holdings
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.linkage.models import LinkRejection
from famlink.adapters.storage.registers.models import FlagNotice, ScoringRun
from famlink.adapters.storage.rights.models import Message, RightsRequest
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from famlink.core.policy import Actor, Role
from famlink.core.rights import Clock, RequestStatus
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import requests
from famlink.services.rights.disclosure import Part, disclose
from tests.common import builders

pytestmark = pytest.mark.django_db


def parent_of(fam: builders.Family, name: str) -> tuple[Actor, User]:
    create_parent(name, fam.mother, password="not-a-real-password-1")
    user = User.objects.get(username=name)
    user.email = f"{name}@example.org"
    user.save()
    return actors.actor_for(user), user


def data_team() -> tuple[Actor, User]:
    staff = builders.staff(Role.DATA_TEAM, purposes=[Purpose.SUBJECT_ACCESS.value])
    return actors.actor_for(staff.user), staff.user


def child_record(fam: builders.Family) -> SourceRecord:
    return next(r for r in holdings.linked_records(fam.child) if not r.sensitive)


def test_a_report_marks_the_record_disputed_at_once_with_the_parents_words() -> None:
    fam = builders.family("Dee")
    actor, user = parent_of(fam, "dee")
    record = child_record(fam)
    made = requests.report(actor, user, fam.child, record.pk, "request:rectification",
                           "The hospital cancelled this appointment")
    assert made.due_on == requests.statutory_due(timezone.localdate(made.received_at))
    shown = disclose(actor, fam.mother, frozenset({Part.RECORDS})).person(fam.child.public_id)
    view = next(r for r in shown.records if r.id == record.pk)
    assert view.disputed and view.marks[0].statement == "The hospital cancelled this appointment"
    assert AuditLogEntry.objects.filter(subject_id=fam.child.public_id, action="record:disputed").exists()


def test_a_parent_cannot_report_on_another_familys_record_and_nothing_is_written() -> None:
    mine, theirs = builders.family("Own"), builders.family("Other")
    actor, user = parent_of(mine, "own")
    with pytest.raises(AccessDenied):
        requests.report(actor, user, theirs.child, child_record(theirs).pk, "request:rectification", "x")
    with pytest.raises(NotFound):  # their record, under my child's name
        requests.report(actor, user, mine.child, child_record(theirs).pk, "request:rectification", "x")
    with pytest.raises(AccessDenied):  # the other adult in my household
        requests.report(actor, user, mine.father, holdings.linked_records(mine.father).first().pk,
                        "request:context", "x")
    assert not RightsRequest.objects.exists()


def test_correcting_keeps_the_old_version_withdraws_flags_and_tells_the_family() -> None:
    fam = builders.family("Cor")
    actor, user = parent_of(fam, "cor")
    record = child_record(fam)
    run = ScoringRun.objects.create(model_id="m", ran_at=timezone.now(), allowed=True, state="active")
    flag = FlagNotice.objects.create(run=run, model_id="m", household_ref=fam.household.public_id,
                                     person_ref=fam.child.public_id, score=0.9, title="t", message="m",
                                     how_to_object="o", created_at=timezone.now())
    made = requests.report(actor, user, fam.child, record.pk, "request:rectification", "Cancelled by the hospital")
    team, team_user = data_team()
    requests.assign(team, made.reference, team_user)
    requests.decide(team, team_user, made.reference, "outcome:correct", "The hospital confirmed it cancelled",
                    correction=requests.Correction(status="cancelled_by_provider"))
    made.refresh_from_db()
    new = made.corrected_record
    assert made.status == RequestStatus.CORRECTED
    assert new.version == record.version + 1 and new.supersedes_id == record.pk
    assert new.status == "cancelled_by_provider"
    assert SourceRecord.objects.get(pk=record.pk).status == record.status  # the old one is never overwritten
    shown = disclose(actor, fam.mother, frozenset({Part.RECORDS})).person(fam.child.public_id)
    view = next(r for r in shown.records if r.id == new.pk)
    assert view.history[0].version == record.version and not view.disputed
    assert record.pk not in [r.id for r in shown.records]
    flag.refresh_from_db()
    assert flag.status == FlagNotice.Status.WITHDRAWN
    message = Message.objects.get(to=user)
    assert made.reference in message.subject and "corrected" in message.body
    assert AuditLogEntry.objects.filter(subject_id=fam.child.public_id, action="rights:rectification_decided").exists()


def test_unlinking_takes_the_record_out_now_and_the_rejection_outlives_runs() -> None:
    fam = builders.family("Unl")
    actor, user = parent_of(fam, "unl")
    record = child_record(fam)
    made = requests.report(actor, user, fam.child, record.pk, "request:not_me", "That is not my son")
    team, team_user = data_team()
    requests.decide(team, team_user, made.reference, "outcome:unlink", "")
    assert record.pk not in set(holdings.linked_records(fam.child).values_list("pk", flat=True))
    assert LinkRejection.objects.filter(record=record, person=fam.child, withdrawn_at__isnull=True).exists()


def test_declining_needs_a_reason_and_gives_the_ico_route() -> None:
    fam = builders.family("Dec")
    actor, user = parent_of(fam, "dec")
    made = requests.report(actor, user, fam.child, child_record(fam).pk, "request:rectification", "wrong")
    team, team_user = data_team()
    with pytest.raises(InvalidInput, match="reason"):
        requests.decide(team, team_user, made.reference, "outcome:decline", "  ")
    made.refresh_from_db()
    assert made.status == RequestStatus.RECEIVED  # nothing written
    requests.decide(team, team_user, made.reference, "outcome:decline", "The school register shows the absence")
    body = Message.objects.get(to=user).body
    assert "school register" in body and "Information Commissioner" in body
    with pytest.raises(Conflict):
        requests.decide(team, team_user, made.reference, "outcome:annotate", "again")


def test_a_parent_cannot_decide_their_own_request() -> None:
    fam = builders.family("Self")
    actor, user = parent_of(fam, "self")
    made = requests.report(actor, user, fam.child, child_record(fam).pk, "request:context", "My side")
    with pytest.raises(AccessDenied):
        requests.decide(actor, user, made.reference, "outcome:annotate", "")
    with pytest.raises(AccessDenied):
        requests.read_request(actor, made.reference)
    assert RightsRequest.objects.get(pk=made.pk).status == RequestStatus.RECEIVED


def test_the_queue_and_metrics_follow_the_clock() -> None:
    fam = builders.family("Clk")
    actor, user = parent_of(fam, "clk")
    now = timezone.now()
    old = requests.report(actor, user, fam.child, child_record(fam).pk, "request:rectification", "late one",
                          at=now - timedelta(days=40))
    fresh = requests.report(actor, user, fam.child, child_record(fam).pk, "request:context", "new one", at=now)
    rows = {r.request.reference: r for r in requests.queue()}
    assert rows[old.reference].clock is Clock.OVERDUE and rows[fresh.reference].clock is Clock.ON_TIME
    assert next(iter(rows)) == old.reference  # most urgent first
    team, team_user = data_team()
    requests.decide(team, team_user, fresh.reference, "outcome:annotate", "")
    m = requests.metrics()
    assert (m.open, m.overdue, m.closed, m.closed_late) == (1, 1, 1, 0)
    assert m.median_days_to_resolve is not None and m.median_days_to_resolve < 1


def test_email_is_sent_after_the_decision_commits() -> None:
    fam = builders.family("Mail")
    actor, user = parent_of(fam, "mail")
    made = requests.report(actor, user, fam.child, child_record(fam).pk, "request:context", "side")
    team, team_user = data_team()
    with TestCase.captureOnCommitCallbacks(execute=True):
        requests.decide(team, team_user, made.reference, "outcome:annotate", "")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mail@example.org"]
    assert made.reference in mail.outbox[0].subject


@settings(max_examples=25, deadline=None)
@given(kind=st.text(max_size=30), record_id=st.one_of(st.text(max_size=12), st.integers(-5, 10**12)))
def test_bad_kinds_and_record_ids_are_refused_cleanly(kind: str, record_id: object) -> None:
    fam = builders.family(f"H{RightsRequest.objects.count()}{date.today().toordinal()}")
    actor = Actor(id="hyp", role=Role.PARENT, person_id=fam.mother.public_id)
    with pytest.raises((InvalidInput, NotFound, AccessDenied)):
        requests.report(actor, None, fam.child, record_id, kind, "statement")  # type: ignore[arg-type]
    assert not RightsRequest.objects.exists()
