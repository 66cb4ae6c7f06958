from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from famlink.core.consent import (
    ConsentGrant,
    ConsentLevel,
    ConsentState,
    Controller,
    Recipient,
    consent_receipt,
    receipt_schema,
)
from famlink.core.errors import InvalidInput
from famlink.core.policy import Relation
from famlink.core.taxonomy import DataCategory, OrganisationType, Purpose

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
COUNCIL = Controller("Exampleshire County Council", "Data Protection Officer", "dpo@example.gov.uk")


def receipt(state: ConsentState = ConsentState.GIVEN, **overrides: object) -> dict:
    grant = ConsentGrant(
        purpose=Purpose.RESEARCH_STATISTICS,
        level=ConsentLevel.ACROSS_SERVICES,
        state=state,
        recorded_at=AT,
        expires_at=AT + timedelta(days=365) if state is ConsentState.GIVEN else None,
        version=2,
    )
    values: dict[str, object] = {
        "subject_id": "person-child",
        "decided_by_id": "person-mother",
        "decided_by": Relation.CHILD_UNDER_PR,
        "controllers": [COUNCIL],
        "data_categories": [DataCategory.HEALTH, DataCategory.EDUCATION, DataCategory.HEALTH],
        "recipients": [Recipient("University of Example", OrganisationType.PUBLIC)],
        "withdrawal_method": "Sign in to the parent portal and choose 'Withdraw', or phone 0300 000 0000",
        "withdrawal_url": "https://famlink.example.gov.uk/consent",
        "policy_url": "https://famlink.example.gov.uk/privacy",
    }
    values.update(overrides)
    return consent_receipt(grant, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("state", list(ConsentState))
def test_receipts_satisfy_the_schema(state: ConsentState) -> None:
    jsonschema.Draft202012Validator.check_schema(receipt_schema())
    body = receipt(state)
    jsonschema.validate(body, receipt_schema(), format_checker=jsonschema.FormatChecker())
    assert body["state"] == state.value


def test_receipt_content() -> None:
    fixed = uuid.UUID("12345678-1234-4234-9234-123456789abc")
    body = receipt(receipt_id=fixed)
    assert body["receipt_id"] == str(fixed)
    assert body["purposes"] == [
        {
            "id": "research.pseudonymised_statistics",
            "dpv": "dpv:ResearchAndDevelopment",
            "label": "Research and statistics, with names removed",
            "lawful_basis": "consent",
            "consent_level": "across_services",
        }
    ]
    assert body["data_categories"] == ["education", "health"]
    assert body["validity"]["until"] == (AT + timedelta(days=365)).isoformat()
    assert body["state_dpv"] == "dpv:ConsentGiven"
    assert body["subject"]["decided_by"]["relation"] == "child_under_parental_responsibility"


def test_schema_rejects_a_receipt_missing_withdrawal() -> None:
    body = receipt()
    del body["withdrawal"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, receipt_schema())


def test_receipt_needs_controller_and_withdrawal_method() -> None:
    with pytest.raises(InvalidInput, match="controller"):
        receipt(controllers=[])
    with pytest.raises(InvalidInput, match="withdraw"):
        receipt(withdrawal_method=" ")


def test_schema_lists_every_current_purpose_and_state() -> None:
    """Adding a purpose or state to the enums must be reflected in the published schema."""
    props = receipt_schema()["properties"]
    assert set(props["purposes"]["items"]["properties"]["id"]["enum"]) == {p.value for p in Purpose}
    assert set(props["state"]["enum"]) == {s.value for s in ConsentState}
    assert set(props["data_categories"]["items"]["enum"]) == {c.value for c in DataCategory}
