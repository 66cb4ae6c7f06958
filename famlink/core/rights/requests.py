"""Kinds of request a family can make, their outcomes, and their references."""

from __future__ import annotations

import secrets
from enum import StrEnum

from famlink.core.errors import InvalidInput

#: Longest statement kept: long enough for a full account, short enough to read.
STATEMENT_MAX = 4000
#: Letters that cannot be mistaken for each other when read over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class RequestKind(StrEnum):
    """What the family asked for."""

    RECTIFICATION = "request:rectification"  # "this is wrong"
    CONTEXT = "request:context"  # "add my side" (a supplementary statement)
    NOT_ME = "request:not_me"  # "this record is not me / not my child" (a link)
    SUBJECT_ACCESS = "request:subject_access"  # "give me a copy of everything"

    @property
    def label(self) -> str:
        return {
            "request:rectification": "Something is wrong",
            "request:context": "Add your side",
            "request:not_me": "This is not me or my child",
            "request:subject_access": "A copy of everything we hold",
        }[self.value]


class RequestStatus(StrEnum):
    RECEIVED = "status:received"
    IN_PROGRESS = "status:in_progress"
    CORRECTED = "status:corrected"
    ANNOTATED = "status:annotated"
    UNLINKED = "status:unlinked"
    DECLINED = "status:declined"
    FULFILLED = "status:fulfilled"

    @property
    def label(self) -> str:
        return {
            "status:received": "We have your request",
            "status:in_progress": "Someone is looking at it",
            "status:corrected": "Corrected",
            "status:annotated": "Your statement was added",
            "status:unlinked": "Unlinked",
            "status:declined": "Not changed",
            "status:fulfilled": "Done",
        }[self.value]


CLOSED = frozenset({RequestStatus.CORRECTED, RequestStatus.ANNOTATED, RequestStatus.UNLINKED,
                    RequestStatus.DECLINED, RequestStatus.FULFILLED})


class Outcome(StrEnum):
    """What the data team decided about a rectification, context or link request."""

    CORRECT = "outcome:correct"  # a new version of the record; the old one kept as superseded
    ANNOTATE = "outcome:annotate"  # the record stands; the family's statement stays beside it
    UNLINK = "outcome:unlink"  # the link is rejected and stays rejected in later runs
    DECLINE = "outcome:decline"  # nothing changes; the reason and the ICO route are given

    @property
    def status(self) -> RequestStatus:
        return {
            Outcome.CORRECT: RequestStatus.CORRECTED, Outcome.ANNOTATE: RequestStatus.ANNOTATED,
            Outcome.UNLINK: RequestStatus.UNLINKED, Outcome.DECLINE: RequestStatus.DECLINED,
        }[self]

    @property
    def label(self) -> str:
        return {
            "outcome:correct": "Correct the record",
            "outcome:annotate": "Keep the record, add the family's statement",
            "outcome:unlink": "Unlink: not the same person",
            "outcome:decline": "Decline, with a reason",
        }[self.value]


def new_reference() -> str:
    """A reference a parent can read out: random, so it says nothing and cannot be guessed."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{body[:4]}-{body[4:]}"


def validate_statement(text: str, *, where: str = "statement", required: bool = True) -> str:
    """A family's words, trimmed; refused when empty (if required) or too long."""
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise InvalidInput("Tell us what is wrong, or what you want to add.", where=where)
    if len(cleaned) > STATEMENT_MAX:
        raise InvalidInput(f"Use {STATEMENT_MAX:,} characters or fewer (you used {len(cleaned):,}).", where=where)
    if "\x00" in cleaned:
        raise InvalidInput("The text contains a character we cannot store.", where=where)
    return cleaned
