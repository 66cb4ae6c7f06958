"""Consent: what people have agreed to, how that changes, and their receipts."""

from famlink.core.consent.change import (
    ConsentAction,
    ConsentChange,
    actions_offered,
    apply_change,
    decides_alone,
)
from famlink.core.consent.receipt import (
    Controller,
    Recipient,
    consent_receipt,
    receipt_schema,
)
from famlink.core.consent.states import (
    ACTIVE_STATES,
    DEFAULT_VALIDITY,
    MAX_VALIDITY,
    SELF_CONSENT_AGE,
    ConsentGrant,
    ConsentLevel,
    ConsentState,
)

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_VALIDITY",
    "MAX_VALIDITY",
    "SELF_CONSENT_AGE",
    "ConsentAction",
    "ConsentChange",
    "ConsentGrant",
    "ConsentLevel",
    "ConsentState",
    "Controller",
    "Recipient",
    "actions_offered",
    "apply_change",
    "consent_receipt",
    "decides_alone",
    "receipt_schema",
]
