"""A family's rights requests: what they asked, when it is due, what happened.

Pure rules, no storage: the statutory clock (one calendar month), the kinds
of request and their outcomes, and the words a parent reads about each.
"""

from famlink.core.rights.clock import Clock, clock_for, statutory_due
from famlink.core.rights.requests import (
    CLOSED,
    Outcome,
    RequestKind,
    RequestStatus,
    new_reference,
    validate_statement,
)

__all__ = [
    "CLOSED",
    "Clock",
    "Outcome",
    "RequestKind",
    "RequestStatus",
    "clock_for",
    "new_reference",
    "statutory_due",
    "validate_statement",
]
