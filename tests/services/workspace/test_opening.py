"""Purpose first: a family is opened for a purpose under a case reference, through the door, logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import FamilyOpening
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentLevel
from famlink.core.errors import AccessDenied, InvalidInput, NotFound
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.opening import (
    OPENING_HOURS,
    case_reference_of,
    current_opening,
    open_family,
)
from tests.common import builders

pytestmark = pytest.mark.django_db
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY


def test_opening_is_logged_with_its_case_reference_and_lasts_a_working_day() -> None:
    fam = builders.family("Open")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, DIRECT)
    actor = actors.actor_for(builders.staff().user)
    opening = open_family(actor, fam.child.public_id, DIRECT, "  EH-2026/0042 ")
    assert opening.case_reference == "EH-2026/0042"
    assert opening.expires_at - opening.opened_at == timedelta(hours=OPENING_HOURS)
    entry = AuditLogEntry.objects.filter(subject_id=fam.child.public_id, action=AuditEvent.FAMILY_OPENED.value).get()
    assert entry.decision == "allow"
    assert b"EH-2026/0042" in bytes(entry.entry_bytes)
    assert current_opening(actor, fam.child.public_id) == opening
    later = timezone.now() + timedelta(hours=OPENING_HOURS, minutes=1)
    assert current_opening(actor, fam.child.public_id, now=later) is None


def test_a_refused_opening_says_why_and_the_lawful_route_and_writes_no_opening() -> None:
    fam = builders.family("Shut")  # nobody consented
    actor = actors.actor_for(builders.staff().user)
    with pytest.raises(AccessDenied) as refused:
        open_family(actor, fam.child.public_id, Purpose.SAFEGUARDING_CHILD_PROTECTION, "CP-1")
    assert "break-glass" in refused.value.message and "consent_missing" in refused.value.codes
    assert not FamilyOpening.objects.exists()
    entry = AuditLogEntry.objects.get(subject_id=fam.child.public_id)
    assert entry.decision == "deny" and entry.action == AuditEvent.FAMILY_OPENED.value


def test_another_practitioners_opening_is_not_yours() -> None:
    fam = builders.family("Mine")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, DIRECT)
    one, two = (actors.actor_for(builders.staff().user) for _ in range(2))
    open_family(one, fam.child.public_id, DIRECT, "REF-1")
    assert current_opening(two, fam.child.public_id) is None


def test_an_unknown_person_is_not_found() -> None:
    actor = actors.actor_for(builders.staff().user)
    with pytest.raises(NotFound):
        open_family(actor, "PNOSUCH", DIRECT, "REF-1")


@pytest.mark.parametrize("bad", ["", "  ", "x", "-AB", "AB-", "a" * 61, "REF<script>", "CASE\x00ONE"])
def test_a_bad_case_reference_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        case_reference_of(bad)
    assert error.value.where == "case_reference"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_clean_reference_or_a_clear_error(text: str) -> None:
    try:
        cleaned = case_reference_of(text)
    except InvalidInput as error:
        assert error.where == "case_reference"
    else:
        assert 3 <= len(cleaned) <= 60 and cleaned == cleaned.strip()


def test_a_bad_purpose_is_refused_naming_the_field() -> None:
    fam = builders.family("Purpose")
    actor = actors.actor_for(builders.staff().user)
    with pytest.raises(InvalidInput) as error:
        open_family(actor, fam.child.public_id, "nonsense", "REF-1")  # type: ignore[arg-type]
    assert error.value.where == "purpose"
