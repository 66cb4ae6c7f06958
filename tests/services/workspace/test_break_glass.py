"""Break-glass as people ask for it: request, the named authoriser's decision, the family told, the review."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.actors import actor_for, staff_actor
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    BreakGlassAuthorisation,
    BreakGlassRequest,
    NotificationWithholding,
)
from famlink.adapters.storage.rights.models import Message
from famlink.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from famlink.core.policy import MIN_JUSTIFICATION_CHARS, Actor, Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.consent import set_opt_out
from famlink.services.rights.disclosure import disclose
from famlink.services.workspace import break_glass, records
from tests.common import builders

pytestmark = pytest.mark.django_db
WHY = "Section 47 enquiry opened after a hospital referral; records needed to assess risk today."
CP = Purpose.SAFEGUARDING_CHILD_PROTECTION


@pytest.fixture
def scene() -> dict:  # type: ignore[type-arg]
    fam = builders.family("Glass")
    cast = builders.break_glass_cast()
    create_parent("mum-glass", fam.mother, password="not-a-real-password-1")
    create_parent("dad-glass", fam.father, password="not-a-real-password-1")
    set_opt_out(fam.child, "sharing", True, recorded_by=Actor(id="dt", role=Role.DATA_TEAM))
    return {"fam": fam, "cast": cast}


def _ask(scene: dict, why: str = WHY) -> BreakGlassRequest:  # type: ignore[type-arg]
    cast = scene["cast"]
    return break_glass.ask(cast.practitioner.user, scene["fam"].child.public_id, str(cast.lead.pk), why, "CP-2026-001")


def _actions(person_id: str) -> list[str]:
    return list(AuditLogEntry.objects.filter(subject_id=person_id).order_by("index").values_list("action", flat=True))


def test_the_authoriser_list_is_those_with_current_authority_and_never_yourself(scene: dict) -> None:  # type: ignore[type-arg]
    cast = scene["cast"]
    lapsed = builders.staff(Role.SAFEGUARDING_LEAD, lead=True, authoriser_until=timezone.now() - timedelta(days=1))
    names = {s.pk for s in break_glass.authorisers(cast.practitioner.user)}
    assert cast.lead.pk in names and lapsed.pk not in names and cast.practitioner.pk not in names
    assert cast.lead.pk not in {s.pk for s in break_glass.authorisers(cast.lead.user)}


def test_a_request_is_checked_by_the_existing_rules_and_a_bad_one_writes_nothing(scene: dict) -> None:  # type: ignore[type-arg]
    cast, child = scene["cast"], scene["fam"].child
    before = AuditLogEntry.objects.count()
    with pytest.raises(InvalidInput) as short:
        _ask(scene, "x" * (MIN_JUSTIFICATION_CHARS - 1))
    assert short.value.where == "justification" and str(MIN_JUSTIFICATION_CHARS) in short.value.message
    with pytest.raises(InvalidInput) as own:
        break_glass.ask(cast.lead.user, child.public_id, str(cast.lead.pk), WHY, "CP-1")
    assert own.value.where == "authoriser"
    with pytest.raises(InvalidInput):
        break_glass.ask(cast.practitioner.user, child.public_id, str(cast.other.pk), WHY, "CP-1")  # no authority
    with pytest.raises(InvalidInput) as reference:
        break_glass.ask(cast.practitioner.user, child.public_id, str(cast.lead.pk), WHY, "  ")
    assert reference.value.where == "case_reference"
    for hostile in ("", "P\x00", "nobody", "../" * 3):
        with pytest.raises(NotFound):
            break_glass.ask(cast.practitioner.user, hostile, str(cast.lead.pk), WHY, "CP-1")
    assert not BreakGlassRequest.objects.exists() and AuditLogEntry.objects.count() == before


def test_approved_the_practitioner_can_use_it_and_the_family_is_told_once(scene: dict) -> None:  # type: ignore[type-arg]
    cast, fam = scene["cast"], scene["fam"]
    mum = Account.objects.get(person=fam.mother).user
    mum.email = "mum@example.org"
    mum.save()
    asked = _ask(scene)
    assert [r.pk for r in break_glass.to_decide(cast.lead.user)] == [asked.pk]
    assert break_glass.to_decide(cast.other.user) == []
    with pytest.raises(NotFound):
        break_glass.approve(cast.other.user, asked.pk)  # only the named authoriser decides
    with pytest.raises(NotFound):
        break_glass.approve(cast.practitioner.user, asked.pk)
    with django_capture_on_commit() as callbacks:
        glass = break_glass.approve(cast.lead.user, asked.pk, "Agreed: urgent.")
    asked.refresh_from_db()
    assert asked.state == "approved" and asked.authorisation == glass
    glass.refresh_from_db()
    assert glass.parent_told_at is not None
    told = Message.objects.filter(to__famlink_account__person__in=[fam.mother, fam.father])
    assert told.count() == 2  # both parents hold parental responsibility
    body = told.first().body
    assert WHY in body and "sw" in body and "dsl" in body and "ico.org.uk" in body
    assert callbacks and mail.outbox[-1].to == ["mum@example.org"]
    with pytest.raises(Conflict):
        break_glass.approve(cast.lead.user, asked.pk)
    assert break_glass.tell_family(glass) == 0 and told.count() == 2  # told once
    # the practitioner uses the authorisation number; the policy checks it at this use
    seen = records.person_records(staff_actor(cast.practitioner), fam.child.public_id, CP, {DataCategory.HEALTH},
                                  break_glass=glass.pk)
    assert seen["records"]
    with pytest.raises(AccessDenied):
        records.person_records(staff_actor(cast.other), fam.child.public_id, CP, {DataCategory.HEALTH},
                               break_glass=glass.pk)  # another practitioner cannot use it
    steps = [a for a in _actions(fam.child.public_id) if a.startswith(("break_glass", "notification"))]
    assert steps == ["break_glass:requested", "break_glass:used", "notification:sent"]


def django_capture_on_commit():  # type: ignore[no-untyped-def]
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_a_refusal_needs_a_reason_and_gives_no_access(scene: dict) -> None:  # type: ignore[type-arg]
    cast = scene["cast"]
    asked = _ask(scene)
    with pytest.raises(InvalidInput) as empty:
        break_glass.refuse(cast.lead.user, asked.pk, " ")
    assert empty.value.where == "reason"
    refused = break_glass.refuse(cast.lead.user, asked.pk, "Not urgent: ask the family for consent first.")
    assert refused.state == "refused" and refused.authorisation is None
    assert not BreakGlassAuthorisation.objects.exists() and not Message.objects.exists()
    assert _actions(scene["fam"].child.public_id)[-1] == "break_glass:refused"


def test_withheld_the_family_is_told_when_the_withholding_ends_and_only_once(scene: dict) -> None:  # type: ignore[type-arg]
    cast = scene["cast"]
    asked = _ask(scene)
    view = break_glass.request_for(cast.lead.user, asked.pk)
    assert view.can_withhold and not break_glass.request_for(cast.practitioner.user, asked.pk).can_withhold
    with pytest.raises(InvalidInput):
        break_glass.withhold(cast.practitioner.user, asked.pk, "would tip off", timezone.now() + timedelta(days=3))
    with pytest.raises(InvalidInput) as too_long:
        break_glass.withhold(cast.lead.user, asked.pk, "would tip off", timezone.now() + timedelta(days=29))
    assert too_long.value.where == "until"
    held = break_glass.withhold(cast.lead.user, asked.pk, "Telling them now would tip off the suspect.",
                                timezone.now() + timedelta(days=14))
    glass = break_glass.approve(cast.lead.user, asked.pk)
    glass.refresh_from_db()
    assert glass.parent_told_at is None and not Message.objects.exists()
    assert break_glass.notify_due() == []
    NotificationWithholding.objects.filter(pk=held.pk).update(until=timezone.now() - timedelta(seconds=1))
    assert break_glass.notify_due() == [glass.pk]
    assert Message.objects.count() == 2
    assert break_glass.notify_due() == [] and Message.objects.count() == 2  # idempotent


def test_a_family_with_no_account_yet_is_told_when_one_is_made(db: None) -> None:
    fam = builders.family("NoAccount")
    cast = builders.break_glass_cast("n")
    asked = break_glass.ask(cast.practitioner.user, fam.child.public_id, str(cast.lead.pk), WHY, "CP-2")
    glass = break_glass.approve(cast.lead.user, asked.pk)
    assert break_glass.notify_due() == []
    create_parent("late-mum", fam.mother, password="not-a-real-password-1")
    assert break_glass.notify_due() == [glass.pk] and Message.objects.get().to.username == "late-mum"


def test_the_parent_sees_who_looked_and_why_in_their_access_log(scene: dict) -> None:  # type: ignore[type-arg]
    cast, fam = scene["cast"], scene["fam"]
    glass = break_glass.approve(cast.lead.user, _ask(scene).pk)
    records.person_records(staff_actor(cast.practitioner), fam.child.public_id, CP, {DataCategory.HEALTH},
                           break_glass=glass.pk)
    publish()
    mum = actor_for(Account.objects.get(person=fam.mother).user)
    log = disclose(mum, fam.mother).access_log
    looks = [e for e in log if e.who == cast.practitioner.user.username and e.action == "record:viewed"]
    assert looks and looks[0].justification == WHY
    assert any(e.action == "notification:sent" for e in log)


def test_the_review_queue_is_ordered_by_review_date_and_never_your_own(scene: dict) -> None:  # type: ignore[type-arg]
    cast, fam = scene["cast"], scene["fam"]
    first = break_glass.approve(cast.lead.user, _ask(scene).pk)
    second = break_glass.approve(cast.lead.user, break_glass.ask(
        cast.practitioner.user, fam.mother.public_id, str(cast.lead.pk), WHY, "CP-3").pk)
    BreakGlassAuthorisation.objects.filter(pk=second.pk).update(review_due=first.review_due - timedelta(days=3))
    assert [a.pk for a in break_glass.review_queue(cast.reviewer.user)] == [second.pk, first.pk]
    assert break_glass.review_queue(cast.lead.user) == []  # the authoriser never reviews their own
    with pytest.raises(NotFound):
        break_glass.for_review(cast.lead.user, first.pk)
    records.person_records(staff_actor(cast.practitioner), fam.child.public_id, CP, {DataCategory.HEALTH},
                           break_glass=first.pk)
    view = break_glass.for_review(cast.reviewer.user, first.pk)
    assert view.request is not None and view.request.case_reference == "CP-2026-001"
    # the look, and the door's check of the child's safeguarding-sensitive record within it
    assert view.accesses and {(u.action, u.categories, u.allowed) for u in view.accesses} == {
        ("record:viewed", (DataCategory.HEALTH,), True)}
    with pytest.raises(InvalidInput):
        break_glass.review(cast.reviewer.user, first.pk, "upheld", " ")
    done = break_glass.review(cast.reviewer.user, first.pk, "upheld", "Risk was clear and immediate.")
    assert done.outcome == "upheld" and done.reviewed_by == cast.reviewer
    assert [a.pk for a in break_glass.review_queue(cast.reviewer.user)] == [second.pk]
    entry = AuditLogEntry.objects.filter(action="break_glass:reviewed").get()
    assert json.loads(bytes(entry.entry_bytes))["reasons"] == ["review:upheld"]


def test_the_reviewer_is_refused_the_familys_records_by_the_policy(scene: dict) -> None:  # type: ignore[type-arg]
    cast, fam = scene["cast"], scene["fam"]
    glass = break_glass.approve(cast.lead.user, _ask(scene).pk)
    with pytest.raises(AccessDenied):
        records.person_records(staff_actor(cast.reviewer), fam.child.public_id, CP, {DataCategory.HEALTH},
                               break_glass=glass.pk)
    denied = AuditLogEntry.objects.filter(actor_id=cast.reviewer.user.username).get()
    assert "reviewer_no_personal_data" in json.loads(bytes(denied.entry_bytes))["reasons"]
