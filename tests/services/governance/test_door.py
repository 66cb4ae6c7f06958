"""The policy door: built from the database, every decision logged, refusals raised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.sources.models import Source
from famlink.core.consent import ConsentLevel
from famlink.core.errors import AccessDenied
from famlink.core.policy import Actor, Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.consent import set_opt_out
from famlink.services.governance.safeguarding import (
    authorise_break_glass,
    withhold_notification,
)
from tests.common import builders
from tests.common.builders import give_consent

pytestmark = pytest.mark.django_db


def last() -> AuditLogEntry:
    return AuditLogEntry.objects.order_by("-index").first()  # type: ignore[return-value]


def test_allowed_read_is_logged_with_its_reasons() -> None:
    fam = builders.family("a")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    actor = staff_actor(builders.staff())
    with door.open(actor, Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
                   sources=Source.objects.all()) as grant:
        assert grant.decision.allow
    entry = last()
    assert (entry.decision, entry.subject_id, entry.actor_id, entry.action) == (
        "allow", fam.child.public_id, actor.id, "record:viewed")
    assert b"consent_sufficient" in bytes(entry.entry_bytes)


def test_refusal_is_logged_committed_and_raised_in_plain_english() -> None:
    fam = builders.family("b")
    actor = staff_actor(builders.staff())
    with pytest.raises(AccessDenied, match="has not been asked for, or has not given, consent"), door.open(
        actor, Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH], sources=Source.objects.all()
    ):
        pytest.fail("a refused read must never run")
    entry = last()
    assert entry.decision == "deny" and b"consent_missing" in bytes(entry.entry_bytes)


def test_opt_out_of_sharing_refuses_across_services_until_break_glass() -> None:
    fam = builders.family("c")
    builders.record(builders.source("education"), fam.child, category="education.attendance")
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.SAFEGUARDING_CHILD_PROTECTION)
    set_opt_out(fam.child, "sharing", True, recorded_by=Actor(id="dt", role=Role.DATA_TEAM))
    practitioner = builders.staff()
    actor = staff_actor(practitioner)
    ask = dict(sources=Source.objects.all())
    with pytest.raises(AccessDenied, match="opted out of sharing"), door.open(
        actor, Purpose.SAFEGUARDING_CHILD_PROTECTION, fam.child, [DataCategory.HEALTH], **ask
    ):
        pass
    glass = authorise_break_glass(fam.child, practitioner, builders.authoriser(),
                                  "Child disclosed harm at school today; urgent strategy meeting.")
    with door.open(actor, Purpose.SAFEGUARDING_CHILD_PROTECTION, fam.child, [DataCategory.HEALTH],
                   break_glass=glass, **ask) as grant:
        assert grant.decision.allow
        assert any(str(o) == "notify_subject" for o in grant.decision.obligations)
    entry = last()
    assert entry.decision == "allow" and b"break_glass_accepted" in bytes(entry.entry_bytes)
    assert b"urgent strategy meeting" in bytes(entry.entry_bytes)


def test_withholding_by_a_lead_is_honoured_at_the_door() -> None:
    fam = builders.family("w")
    practitioner = builders.staff()
    lead = builders.authoriser()
    glass = authorise_break_glass(fam.child, practitioner, lead, "Allegation against a household member; police informed.")
    withhold_notification(fam.child, builders.authoriser(), "Telling the parent now would alert the alleged abuser.",
                          timezone.now() + timedelta(days=7))
    with door.open(staff_actor(practitioner), Purpose.SAFEGUARDING_CHILD_PROTECTION, fam.child, [DataCategory.HEALTH],
                   sources=Source.objects.all(), break_glass=glass) as grant:
        assert any(str(o).startswith("withhold_notification_until:") for o in grant.decision.obligations)


def test_someone_elses_break_glass_does_not_open_the_door() -> None:
    fam, other = builders.family("d"), builders.family("e")
    practitioner = builders.staff()
    glass = authorise_break_glass(other.child, practitioner, builders.authoriser(),
                                  "Child disclosed harm at school today; urgent strategy meeting.")
    with pytest.raises(AccessDenied), door.open(
        staff_actor(practitioner), Purpose.SAFEGUARDING_CHILD_PROTECTION, fam.child, [DataCategory.HEALTH],
        sources=Source.objects.all(), break_glass=glass,
    ):
        pass


def test_sensitive_items_are_decided_and_logged_one_by_one() -> None:
    fam = builders.family("f")
    mother = Actor(id="mum", role=Role.PARENT, person_id=fam.mother.public_id)
    father = Actor(id="dad", role=Role.PARENT, person_id=fam.father.public_id)
    with door.open(mother, Purpose.SUBJECT_ACCESS, fam.mother, [DataCategory.CONTACT]) as grant:
        assert grant.sensitive_visible([DataCategory.CONTACT], [fam.mother.public_id])
    with door.open(father, Purpose.SUBJECT_ACCESS, fam.child, [DataCategory.CONTACT]) as grant:
        assert not grant.sensitive_visible([DataCategory.CONTACT], [fam.mother.public_id])
    entries = list(AuditLogEntry.objects.order_by("-index")[:2])
    assert {e.decision for e in entries} == {"allow", "deny"}
    with pytest.raises(AccessDenied, match="Another adult's own records"), door.open(
        father, Purpose.SUBJECT_ACCESS, fam.mother, [DataCategory.CONTACT]
    ):
        pass


def test_aggregate_only_purposes_cannot_read_named_records() -> None:
    fam = builders.family("g")
    actor = staff_actor(builders.staff(Role.DATA_TEAM, purposes=[Purpose.SERVICE_PLANNING.value]))
    with pytest.raises(AccessDenied, match="totals"), door.open(
        actor, Purpose.SERVICE_PLANNING, fam.child, [DataCategory.HEALTH], sources=Source.objects.all()
    ):
        pass
    assert b"obligation_cannot_be_met:aggregate_only" in bytes(last().entry_bytes)
