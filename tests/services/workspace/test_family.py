"""The family view: every member through the door, what is held back said with its reason and route."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import CaseAllocation
from famlink.core.consent import ConsentLevel
from famlink.core.policy import REASON_TEXT, ReasonCode, Role
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.family import SENSITIVE_BANNER, family_view
from famlink.services.workspace.reading import ROUTE_BREAK_GLASS, ROUTE_CONSENT_OR_CHILD_PROTECTION
from tests.common import builders

pytestmark = pytest.mark.django_db
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY


def test_every_member_is_asked_of_the_door_and_shown_as_it_allows() -> None:
    fam = builders.family("View")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, DIRECT)  # only the child's consent
    actor = actors.actor_for(builders.staff().user)
    view = family_view(actor, fam.child.public_id, DIRECT)
    by_id = {m.person_id: m for m in view.members}
    assert set(by_id) == {fam.mother.public_id, fam.father.public_id, fam.child.public_id}
    child, mother = by_id[fam.child.public_id], by_id[fam.mother.public_id]
    assert child.shown and child.name == "Child View" and child.opened
    assert not mother.shown and mother.name == "" and mother.date_of_birth is None
    assert REASON_TEXT[ReasonCode.CONSENT_MISSING] in mother.held_back[0].reasons
    assert mother.held_back[0].route == ROUTE_CONSENT_OR_CHILD_PROTECTION
    assert any(c.state == "given" for c in child.consents) and not mother.consents
    for person in (fam.mother, fam.father, fam.child):  # one logged decision for each member, at least
        assert AuditLogEntry.objects.filter(subject_id=person.public_id).exists()


def test_child_protection_names_break_glass_as_the_route() -> None:
    fam = builders.family("Glass")
    actor = actors.actor_for(builders.staff().user)
    view = family_view(actor, fam.child.public_id, Purpose.SAFEGUARDING_CHILD_PROTECTION)
    assert all(not m.shown and m.held_back[0].route == ROUTE_BREAK_GLASS for m in view.members)


def test_a_sensitive_address_shown_carries_do_not_disclose_and_a_sensitive_record_is_held_back_with_its_reason() -> None:
    fam = builders.consenting_family("Refuge")
    actor = actors.actor_for(builders.staff().user)
    view = family_view(actor, fam.child.public_id, DIRECT)
    mother = next(m for m in view.members if m.person_id == fam.mother.public_id)
    assert view.do_not_disclose and any(a.do_not_disclose and a.address == "Refuge Refuge" for a in mother.addresses)
    assert SENSITIVE_BANNER in str(view.as_dict())
    early = family_view(actor, fam.child.public_id, Purpose.EARLY_HELP_IDENTIFICATION)
    assert not any(a.do_not_disclose for m in early.members for a in m.addresses)


def test_the_professional_network_and_when_each_agency_was_last_involved() -> None:
    fam = builders.consenting_family("Network")
    src = fam.child.assignments.first().record.source
    builders.record(src, fam.child, event_date=date(2025, 5, 1), note="later")
    builders.record(src, fam.child, event_date=date(2024, 1, 1), note="earlier")
    lead = builders.staff(name="lead-worker")
    lead.user.first_name, lead.user.last_name = "Sam", "Lead"
    lead.user.save()
    CaseAllocation.objects.create(staff=lead, person=fam.child, part=CaseAllocation.Part.LEAD,
                                  contact="01234 567890", from_date=timezone.localdate())
    view = family_view(actors.actor_for(builders.staff().user), fam.child.public_id, DIRECT)
    assert view.network[0].name == "Sam Lead" and view.network[0].part == "lead practitioner"
    assert view.network[0].contact == "01234 567890"
    agency = next(a for a in view.agencies if a.organisation == src.organisation.name)
    assert agency.last_involved == date(2025, 5, 1)


def test_a_practitioner_not_authorised_for_the_purpose_is_told_so() -> None:
    fam = builders.consenting_family("Unauthorised")
    actor = actors.actor_for(builders.staff(Role.PRACTITIONER, purposes=[Purpose.FRAUD_DEBT.value]).user)
    view = family_view(actor, fam.child.public_id, DIRECT)
    assert all(not m.shown for m in view.members)
    assert "authorise you" in view.members[0].held_back[0].route


def test_a_flag_is_explained_by_the_records_behind_it_never_a_bare_score() -> None:
    from famlink.adapters.storage.registers.models import FlagNotice, ScoringRun

    fam = builders.consenting_family("Flagged")
    src = builders.source("health")
    now = timezone.now()
    missed = builders.record(src, fam.child, status="did_not_attend", event_date=timezone.localdate() - timedelta(days=30),
                             note="missed one")
    builders.record(src, fam.child, status="did_not_attend", event_date=timezone.localdate() - timedelta(days=900),
                    note="too old to count")
    run = ScoringRun.objects.create(model_id="early-help-v1", ran_at=now, allowed=True, state="passed")
    FlagNotice.objects.create(
        run=run, model_id="early-help-v1", household_ref=fam.household.public_id, person_ref=fam.child.public_id,
        score=0.8731, inputs=[{"input": "dna_1y", "label": "Hospital appointments recorded as missed, last year",
                               "value": 1.0, "push": 0.2}, {"input": "age", "label": "Age at the scoring date",
                                                            "value": 9.1, "push": 0.1}],
        title="Might want early help", message="m", how_to_object="o", created_at=now)
    view = family_view(actors.actor_for(builders.staff().user), fam.child.public_id, DIRECT)
    flag = view.flags[0]
    assert flag.register_url.startswith("/registers/algorithms#") and flag.person_name == "Child Flagged"
    counted = flag.inputs[0]
    assert [line.note for line in counted.records] == ["missed one"]
    assert counted.records[0].organisation == src.organisation.name and counted.records[0].event_date == missed.event_date
    assert flag.inputs[1].records == () and flag.inputs[1].note
    assert "0.87" not in str(flag.as_dict()) and "score" not in flag.as_dict()  # no bare score, anywhere


def test_an_authorised_break_glass_opens_the_child_it_names_and_no_one_else() -> None:
    from famlink.services.governance.safeguarding import authorise_break_glass
    from famlink.services.workspace.opening import open_family

    fam = builders.family("Emergency")  # nobody consented
    practitioner = builders.staff()
    glass = authorise_break_glass(fam.child, practitioner, builders.authoriser(),
                                  "Section 47 enquiry opened; records needed to identify the child.")
    actor = actors.actor_for(practitioner.user)
    opening = open_family(actor, fam.child.public_id, Purpose.SAFEGUARDING_CHILD_PROTECTION, "CP-2026-7",
                          break_glass=glass.pk)
    assert opening.break_glass == glass.pk
    view = family_view(actor, fam.child.public_id, Purpose.SAFEGUARDING_CHILD_PROTECTION, break_glass=glass.pk)
    shown = {m.person_id for m in view.members if m.shown}
    assert shown == {fam.child.public_id}
    mother = next(m for m in view.members if m.person_id == fam.mother.public_id)
    assert mother.held_back[0].route == ROUTE_BREAK_GLASS
    someone_else = actors.actor_for(builders.staff().user)  # the break-glass is not theirs
    other = family_view(someone_else, fam.child.public_id, Purpose.SAFEGUARDING_CHILD_PROTECTION, break_glass=glass.pk)
    assert not any(m.shown for m in other.members)
