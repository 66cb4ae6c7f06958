"""Information-sharing decisions: through the door, audited with the decision, shown to the parent as the policy allows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.actors import actor_for, staff_actor
from famlink.adapters.storage.governance.models import AuditLogEntry, NotificationWithholding
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.consent import ConsentLevel
from famlink.core.errors import AccessDenied, InvalidInput, NotFound
from famlink.core.taxonomy import Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance.audit.publication import publish
from famlink.services.governance.safeguarding import withhold_notification
from famlink.services.rights.disclosure import disclose
from famlink.services.workspace.sharing import (
    GOLDEN_RULES,
    SharingDecisionInput,
    decisions_for,
    record_sharing_decision,
)
from tests.common import builders

pytestmark = pytest.mark.django_db
SHARE = SharingDecisionInput(
    verdict="share", purpose=Purpose.DIRECT_SERVICE_DELIVERY.value, recipient="School nurse, Hill Primary",
    information="Dates of the last two missed health appointments", categories=frozenset({"health"}),
    reasons="The school nurse is arranging a catch-up appointment and needs the dates.",
    lawful_basis="public_task", golden_rules=frozenset(GOLDEN_RULES), parent_told=True)


@pytest.fixture
def scene() -> dict:  # type: ignore[type-arg]
    fam = builders.family("Share")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    create_parent("mum-share", fam.mother, password="not-a-real-password-1")
    cast = builders.break_glass_cast("s")
    return {"fam": fam, "cast": cast, "actor": staff_actor(cast.practitioner)}


def test_a_decision_to_share_is_recorded_with_its_entry(scene: dict) -> None:  # type: ignore[type-arg]
    child = scene["fam"].child
    made = record_sharing_decision(scene["actor"], child.public_id, SHARE)
    assert made.verdict == "share" and made.decided_by == scene["cast"].practitioner and made.parent_told
    entry = AuditLogEntry.objects.filter(subject_id=child.public_id, action="sharing:decided").get()
    assert entry.purpose == Purpose.DIRECT_SERVICE_DELIVERY and entry.decision == "allow"
    assert json.loads(bytes(entry.entry_bytes))["data_categories"] == ["health"]
    listed = decisions_for(scene["actor"], child.public_id, Purpose.DIRECT_SERVICE_DELIVERY)
    assert [d.pk for d in listed.decisions] == [made.pk] and listed.name == child.display_name


def test_sharing_needs_every_golden_rule_but_not_sharing_does_not(scene: dict) -> None:  # type: ignore[type-arg]
    child = scene["fam"].child
    before = AuditLogEntry.objects.count()
    with pytest.raises(InvalidInput) as missing:
        record_sharing_decision(scene["actor"], child.public_id, replace(SHARE, golden_rules=frozenset({"necessary"})))
    assert missing.value.where == "golden_rules" and "secure" in missing.value.message
    assert not SharingDecision.objects.exists() and AuditLogEntry.objects.count() == before
    kept = record_sharing_decision(scene["actor"], child.public_id, replace(
        SHARE, verdict="not_share", golden_rules=frozenset(), reasons="Not necessary: the nurse already has them."))
    assert kept.verdict == "not_share"


def test_not_telling_the_parent_needs_a_reason(scene: dict) -> None:  # type: ignore[type-arg]
    child = scene["fam"].child
    with pytest.raises(InvalidInput) as why:
        record_sharing_decision(scene["actor"], child.public_id, replace(SHARE, parent_told=False))
    assert why.value.where == "not_told_because"
    made = record_sharing_decision(scene["actor"], child.public_id, replace(
        SHARE, parent_told=False, not_told_because="Telling the father would put the child at risk."))
    assert not made.parent_told and made.not_told_because.startswith("Telling")


def test_the_door_decides_and_a_refusal_is_logged_with_nothing_recorded(scene: dict) -> None:  # type: ignore[type-arg]
    fam, cast = scene["fam"], scene["cast"]
    with pytest.raises(AccessDenied):  # the mother gave no consent for direct delivery
        record_sharing_decision(scene["actor"], fam.mother.public_id, SHARE)
    with pytest.raises(AccessDenied):  # a reviewer sees and records nothing about families
        record_sharing_decision(staff_actor(cast.reviewer), fam.child.public_id, SHARE)
    mum = actor_for(Account.objects.get(person=fam.mother).user)
    with pytest.raises(AccessDenied):
        decisions_for(mum, fam.child.public_id, Purpose.DIRECT_SERVICE_DELIVERY)
    assert not SharingDecision.objects.exists()
    assert AuditLogEntry.objects.filter(action="sharing:decided", decision="deny").count() == 2
    with pytest.raises(NotFound):
        record_sharing_decision(scene["actor"], "nobody", SHARE)


def test_the_parent_sees_the_decision_unless_a_lead_withholds_it(scene: dict) -> None:  # type: ignore[type-arg]
    fam, cast = scene["fam"], scene["cast"]
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.SAFEGUARDING_CHILD_PROTECTION)
    record_sharing_decision(scene["actor"], fam.child.public_id, SHARE)
    protect = replace(SHARE, purpose=Purpose.SAFEGUARDING_CHILD_PROTECTION.value, recipient="Police child abuse team",
                      lawful_basis="legal_obligation", parent_told=False,
                      not_told_because="Telling the parents could put the child at risk.")
    record_sharing_decision(scene["actor"], fam.child.public_id, protect)
    held = withhold_notification(fam.child, cast.lead, "An investigation is under way.", timezone.now() + timedelta(days=7))
    publish()
    mum = actor_for(Account.objects.get(person=fam.mother).user)

    def decisions() -> set[str]:
        return {str(e.purpose) for e in disclose(mum, fam.mother).access_log if e.action == "sharing:decided"}

    assert decisions() == {Purpose.DIRECT_SERVICE_DELIVERY.value}  # the child-protection one is withheld
    NotificationWithholding.objects.filter(pk=held.pk).update(until=timezone.now() - timedelta(seconds=1))
    assert decisions() == {Purpose.DIRECT_SERVICE_DELIVERY.value, Purpose.SAFEGUARDING_CHILD_PROTECTION.value}


words = st.text(max_size=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verdict=words, purpose=words, basis=words, category=words, rule=words)
def test_bad_input_is_a_clear_error_and_writes_nothing(scene: dict, verdict: str, purpose: str, basis: str,  # type: ignore[type-arg]
                                                       category: str, rule: str) -> None:
    bad = replace(SHARE, verdict=verdict, purpose=purpose, lawful_basis=basis, categories=frozenset({category}),
                  golden_rules=frozenset({rule}))
    before = (SharingDecision.objects.count(), AuditLogEntry.objects.count())
    with pytest.raises((InvalidInput, AccessDenied)) as refused:
        record_sharing_decision(scene["actor"], scene["fam"].child.public_id, bad)
    if isinstance(refused.value, InvalidInput):
        assert refused.value.where and (SharingDecision.objects.count(), AuditLogEntry.objects.count()) == before
    assert SharingDecision.objects.count() == before[0]
