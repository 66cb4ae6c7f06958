"""The policy decision point: every use of personal data asks ``decide()`` first."""

from famlink.core.policy.model import (
    REASON_TEXT,
    Actor,
    BreakGlass,
    Context,
    Decision,
    NotificationWithholding,
    Obligation,
    ObligationKind,
    ReasonCode,
    Relation,
    Role,
    Subject,
)
from famlink.core.policy.rules import (
    INDEPENDENT_REVIEW_DAYS,
    MAX_WITHHOLDING,
    MIN_JUSTIFICATION_CHARS,
    PURPOSE_RULES,
    PurposeRule,
    decide,
)

__all__ = [
    "INDEPENDENT_REVIEW_DAYS",
    "MAX_WITHHOLDING",
    "MIN_JUSTIFICATION_CHARS",
    "PURPOSE_RULES",
    "REASON_TEXT",
    "Actor",
    "BreakGlass",
    "Context",
    "Decision",
    "NotificationWithholding",
    "Obligation",
    "ObligationKind",
    "PurposeRule",
    "ReasonCode",
    "Relation",
    "Role",
    "Subject",
    "decide",
]
