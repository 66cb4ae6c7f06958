"""Consent, opt-outs and break-glass in storage: locked, receipted, and all-or-nothing."""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import models as gm
from famlink.core.consent import receipt_schema
from famlink.core.errors import InvalidInput
from famlink.core.policy import Actor, Relation, Role
from famlink.core.taxonomy import Purpose
from famlink.services.governance.consent import (
    ConsentRequest,
    change_consent,
    receipts,
    set_opt_out,
)
from famlink.services.governance.safeguarding import (
    authorise_break_glass,
    review_break_glass,
)
from tests.common import builders
from tests.common.concurrency import at_once

TABLES = (gm.Consent, gm.ConsentEvent, gm.OptOut, gm.OptOutEvent, gm.BreakGlassAuthorisation,
          gm.NotificationWithholding, gm.AuditLogEntry)
DATA_TEAM = Actor(id="dt", role=Role.DATA_TEAM)


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in TABLES)


def mum_gives(person: Person, action: str = "give", **extra: object) -> gm.ConsentEvent:
    return change_consent(ConsentRequest(person=person, purpose="service.direct_delivery", action=action,
                                         decided_by_id="mum", decided_by=Relation.CHILD_UNDER_PR, **extra))  # type: ignore[arg-type]


@pytest.mark.django_db
def test_history_and_receipts_follow_every_change() -> None:
    child = builders.family("h").child
    mum_gives(child, level="across_services")
    mum_gives(child, action="withdraw", level="across_services")
    mum_gives(child, level="within_service")
    states = list(gm.ConsentEvent.objects.values_list("version", "state"))
    assert states == [(1, "given"), (2, "withdrawn"), (3, "given")]
    issued = receipts(child)
    assert [r["state"] for r in issued] == ["given", "withdrawn", "given"]
    for receipt in issued:
        jsonschema.validate(receipt, receipt_schema())
    assert gm.AuditLogEntry.objects.filter(subject_id=child.public_id, action="consent:withdrawn").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_changes_for_one_person_lose_nothing() -> None:
    child = builders.family("race").child
    mum_gives(child, level="across_services")
    workers, rounds = 4, 5

    def change(w: int) -> None:
        for r in range(rounds):
            mum_gives(child, level="across_services" if (w + r) % 2 else "within_service")

    at_once(workers, change)
    total = 1 + workers * rounds
    assert list(gm.ConsentEvent.objects.order_by("version").values_list("version", flat=True)) == list(range(1, total + 1))
    assert gm.Consent.objects.get().version == total
    assert gm.AuditLogEntry.objects.filter(action="consent:given").count() == total


bad_change = st.one_of(
    st.fixed_dictionaries({"purpose": st.text(min_size=1).filter(lambda s: s.strip() not in {p.value for p in Purpose})}),
    st.fixed_dictionaries({"action": st.sampled_from(["withdraw", "renew", "refuse-ish", "", "GIVE"])}),
    st.fixed_dictionaries({"level": st.sampled_from(["no_linking", "everything", ""])}),
    st.fixed_dictionaries({"decided_by": st.sampled_from(["own", "unrelated", "other_adult_in_household", "boss"])}),
    st.fixed_dictionaries({"valid_until": st.integers(-400, 0).map(lambda d: timezone.now() + timedelta(days=d))}),
    st.fixed_dictionaries({"valid_until": st.integers(367, 5000).map(lambda d: timezone.now() + timedelta(days=d))}),
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=bad_change)
def test_bad_consent_changes_are_refused_and_write_nothing(change: dict[str, object]) -> None:
    child = Person.objects.filter(display_name__startswith="Child").first() or builders.family("bad").child
    before = counts()
    request = {"person": child, "purpose": "service.direct_delivery", "action": "give", "decided_by_id": "mum",
               "decided_by": Relation.CHILD_UNDER_PR, **change}
    with pytest.raises(InvalidInput):
        change_consent(ConsentRequest(**request))  # type: ignore[arg-type]
    assert counts() == before


@pytest.mark.django_db
def test_opt_out_history_and_contradictions() -> None:
    person = builders.family("o").mother
    set_opt_out(person, "linkage", True, recorded_by=DATA_TEAM)
    before = counts()
    with pytest.raises(InvalidInput, match="already opted out"):
        set_opt_out(person, "linkage", True, recorded_by=DATA_TEAM)
    with pytest.raises(InvalidInput, match="unknown opt-out"):
        set_opt_out(person, "everything", True, recorded_by=DATA_TEAM)
    assert counts() == before
    set_opt_out(person, "linkage", False, recorded_by=DATA_TEAM)
    assert list(gm.OptOutEvent.objects.values_list("version", "active")) == [(1, True), (2, False)]


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(justification=st.text(max_size=19), same_person=st.booleans(), expired=st.booleans())
def test_bad_break_glass_is_refused_and_writes_nothing(justification: str, same_person: bool, expired: bool) -> None:
    child = builders.family("bg").child
    practitioner = builders.staff()
    authoriser = practitioner if same_person else builders.authoriser()
    if expired:
        authoriser.authoriser_until = timezone.now() - timedelta(minutes=1)
        authoriser.save()
    good = "Child disclosed harm at school today; urgent strategy meeting."
    before = counts()
    with pytest.raises(InvalidInput):
        authorise_break_glass(child, practitioner, authoriser, justification)
    if same_person or expired:
        with pytest.raises(InvalidInput, match=r"different person|expired"):
            authorise_break_glass(child, practitioner, authoriser, good)
    assert counts() == before


@pytest.mark.django_db
def test_break_glass_review_is_independent() -> None:
    child = builders.family("r").child
    practitioner, authoriser = builders.staff(), builders.authoriser()
    glass = authorise_break_glass(child, practitioner, authoriser, "Child disclosed harm at school today; urgent.")
    with pytest.raises(InvalidInput, match="independent"):
        review_break_glass(glass, authoriser, "upheld", "fine")
    reviewed = review_break_glass(glass, builders.authoriser(), "upheld", "Proportionate and necessary.")
    assert reviewed.outcome == "upheld"
    assert gm.AuditLogEntry.objects.filter(action="break_glass:reviewed", subject_id=child.public_id).count() == 1
