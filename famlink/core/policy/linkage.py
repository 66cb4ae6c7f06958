"""Policy rules for linkage: what a person's decision means for matching their records.

``decide(Purpose.RECORD_LINKAGE, ...)`` answers, for one person, "may this
person's records be matched with records from other services?". Two rules
turn those answers into what clustering may do, and they live here, beside
``decide()``, because they are policy, not matching:

- ``standing(decision)``: whether the person allows matching across
  services, refuses it (said no, withdrew, opted out of sharing), or has
  not answered (no yes yet, or a yes that ran out);
- ``may_span_services(standings)``: a group of records (one person to be)
  may hold records from more than one service only if nobody in it refuses
  and somebody in it allows. Records whose people have not answered (and
  records never linked yet) may join a group someone allows, because that
  person's yes covers finding their own records in other services, but two
  of them never join each other across services on their own.

Within one service, records are always matched (the service's own record
keeping; ``ReasonCode.WITHIN_ONE_SERVICE``). An opt-out of linkage keeps a
person's records out of linkage altogether (``ReasonCode.OPTED_OUT_OF_LINKAGE``)
unless a child-protection break-glass the policy accepts lets them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from famlink.core.policy.model import Decision, ReasonCode, Subject

#: Refusals that mean only "no yes yet": nobody said no.
_NO_ANSWER = frozenset({ReasonCode.CONSENT_MISSING, ReasonCode.CONSENT_EXPIRED})
#: Why a break-glass did not help: about the override, not about what the person said.
_BREAK_GLASS = frozenset({ReasonCode.BREAK_GLASS_REQUIRED, ReasonCode.BREAK_GLASS_NOT_YOURS,
                          ReasonCode.BREAK_GLASS_JUSTIFICATION_MISSING,
                          ReasonCode.BREAK_GLASS_JUSTIFICATION_TOO_SHORT, ReasonCode.BREAK_GLASS_NO_AUTHORISER,
                          ReasonCode.BREAK_GLASS_SAME_PERSON, ReasonCode.BREAK_GLASS_AUTHORITY_EXPIRED})


class Standing(IntEnum):
    """A person's answer to matching across services, as clustering needs it (ordered: refusal wins)."""

    ALLOWS = 0
    NOT_ANSWERED = 1
    REFUSES = 2


def standing(decision: Decision) -> Standing:
    """What a record-linkage decision (asked across services) means for matching.

    Not answered: the only things in the way are a missing or lapsed yes.
    Anything else in the way is a refusal: the person said no, withdrew,
    said yes only within one service, opted out, or the source never agreed
    to linkage.
    """
    if decision.allow:
        return Standing.ALLOWS
    codes = set(decision.codes) - _BREAK_GLASS
    if codes and codes <= _NO_ANSWER:
        return Standing.NOT_ANSWERED
    return Standing.REFUSES


def kept_out(decision: Decision, subject: Subject) -> bool:
    """The person's records stay out of linkage altogether: they opted out of linkage and the policy
    did not let them in (a break-glass it accepted, or a statutory duty)."""
    return not decision.allow and subject.opted_out_of_linkage


def may_span_services(standings: Iterable[Standing]) -> bool:
    """May records of people with these standings be one person holding records from several services?"""
    seen = set(standings)
    return Standing.REFUSES not in seen and Standing.ALLOWS in seen


def break_glass_used(decision: Decision) -> bool:
    return decision.allow and ReasonCode.BREAK_GLASS_ACCEPTED in decision.codes
