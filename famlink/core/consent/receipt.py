"""Consent receipts: the person's own copy of what they agreed to, and with whom.

Field names follow ISO/IEC TS 27560:2023 (consent record information
structure) and the Kantara Consent Receipt Specification v1.1, in
snake_case; purposes carry their W3C DPV identifier so other tools can read
them. ``receipt.schema.json`` beside this file is the JSON Schema.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from famlink.core.consent.states import ConsentGrant
from famlink.core.errors import InvalidInput
from famlink.core.roles import Relation
from famlink.core.taxonomy import DPV_PURPOSE, DataCategory, LawfulBasis, OrganisationType

RECEIPT_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("receipt.schema.json")


@dataclass(frozen=True, slots=True)
class Controller:
    """An organisation deciding how the data is used (a Kantara ``piiController``)."""

    name: str
    contact: str
    email: str
    address: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Recipient:
    """An organisation the data may be shared with; commercial ones are named as such."""

    name: str
    organisation_type: OrganisationType = OrganisationType.PUBLIC


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidInput("receipt times must include a time zone")
    return moment.isoformat()


def consent_receipt(
    grant: ConsentGrant,
    *,
    subject_id: str,
    decided_by_id: str,
    decided_by: Relation,
    controllers: Sequence[Controller],
    data_categories: Iterable[DataCategory],
    recipients: Sequence[Recipient],
    withdrawal_method: str,
    withdrawal_url: str,
    policy_url: str,
    collection_method: str = "famlink parent portal",
    receipt_id: uuid.UUID | None = None,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """The receipt for one consent as it now stands (given, refused, withdrawn ...).

    A receipt is issued for refusals and withdrawals too: a person should
    be able to prove they said no.
    """
    if not controllers:
        raise InvalidInput(
            "a consent receipt must name at least one controller", where="controllers"
        )
    if not withdrawal_method.strip():
        raise InvalidInput("a consent receipt must say how to withdraw", where="withdrawal_method")
    purpose = grant.purpose
    return {
        "version": RECEIPT_VERSION,
        "receipt_id": str(receipt_id or uuid.uuid4()),
        "issued_at": _time(issued_at or grant.recorded_at),
        "jurisdiction": "GB",
        "language": "en-GB",
        "collection_method": collection_method,
        "subject": {
            "id": subject_id,
            "decided_by": {"id": decided_by_id, "relation": Relation(decided_by).value},
        },
        "controllers": [
            {
                "name": c.name,
                "contact": c.contact,
                "email": c.email,
                "address": c.address,
                "url": c.url,
            }
            for c in controllers
        ],
        "policy_url": policy_url,
        "purposes": [
            {
                "id": purpose.value,
                "dpv": DPV_PURPOSE[purpose],
                "label": purpose.label,
                "lawful_basis": LawfulBasis.CONSENT.value,
                "consent_level": grant.level.value,
            }
        ],
        "data_categories": sorted({DataCategory(c).value for c in data_categories}),
        "recipients": [
            {"name": r.name, "organisation_type": OrganisationType(r.organisation_type).value}
            for r in recipients
        ],
        "state": grant.state.value,
        "state_dpv": grant.state.dpv,
        "validity": {
            "from": _time(grant.recorded_at),
            "until": None if grant.expires_at is None else _time(grant.expires_at),
        },
        "withdrawal": {"method": withdrawal_method, "url": withdrawal_url},
        "record_version": grant.version,
    }


@cache
def receipt_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every receipt satisfies."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
