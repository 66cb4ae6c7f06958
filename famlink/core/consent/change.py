"""Changes to consent: checked before they are stored, applied as new versions.

A consent change that makes no sense (withdrawing what was never given,
renewing a refusal, a parent deciding for someone else's child) is refused
with a sentence saying why, so the record of what a person said is never
muddled by what a form or a script got wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from famlink.core.consent.states import (
    ACTIVE_STATES,
    DEFAULT_VALIDITY,
    MAX_VALIDITY,
    SELF_CONSENT_AGE,
    ConsentGrant,
    ConsentLevel,
    ConsentState,
)
from famlink.core.errors import InvalidInput
from famlink.core.people import ADULT_AGE
from famlink.core.roles import Relation
from famlink.core.taxonomy import Purpose

_E = TypeVar("_E", bound=StrEnum)


class ConsentAction(StrEnum):
    GIVE = "give"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    RENEW = "renew"


_RESULT = {
    ConsentAction.GIVE: ConsentState.GIVEN,
    ConsentAction.REFUSE: ConsentState.REFUSED,
    ConsentAction.WITHDRAW: ConsentState.WITHDRAWN,
    ConsentAction.RENEW: ConsentState.RENEWED,
}


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """One decision by (or for) a person about one purpose.

    Fields arrive as strings from forms and files; ``checked()`` turns them
    into the enums or says exactly which one is wrong. ``decided_by`` is how
    the person deciding relates to the subject: themselves, or a parent with
    parental responsibility. ``gillick_competent`` records a practitioner's
    assessment that an under-16 can decide for themselves.
    """

    subject_id: str
    purpose: Purpose | str
    action: ConsentAction | str
    decided_by_id: str
    decided_by: Relation | str
    subject_age: int
    at: datetime
    level: ConsentLevel | str = ConsentLevel.WITHIN_SERVICE
    valid_until: datetime | None = None
    gillick_competent: bool = False

    def checked(self) -> ConsentChange:
        """A copy with every field validated and typed; raises ``InvalidInput``."""
        purpose = _member(Purpose, self.purpose, "purpose")
        action = _member(ConsentAction, self.action, "action")
        level = _member(ConsentLevel, self.level, "level")
        relation = _member(Relation, self.decided_by, "decided_by")
        if not str(self.subject_id).strip():
            raise InvalidInput(
                "the consent change does not say whose consent it is", where="subject_id"
            )
        if not str(self.decided_by_id).strip():
            raise InvalidInput("the consent change does not say who made it", where="decided_by_id")
        if isinstance(self.subject_age, bool) or not isinstance(self.subject_age, int):
            raise InvalidInput(
                f"age must be a whole number, not {self.subject_age!r}", where="subject_age"
            )
        if not 0 <= self.subject_age <= 130:
            raise InvalidInput(f"age {self.subject_age} is not a possible age", where="subject_age")
        if self.at.tzinfo is None:
            raise InvalidInput("the time of the change must include a time zone", where="at")
        _check_who_decides(relation, self.subject_age, self.gillick_competent)
        valid_until = self.valid_until
        if action in (ConsentAction.GIVE, ConsentAction.RENEW):
            if valid_until is None:
                valid_until = self.at + DEFAULT_VALIDITY
            elif valid_until.tzinfo is None:
                raise InvalidInput("the expiry must include a time zone", where="valid_until")
            elif valid_until <= self.at:
                raise InvalidInput(
                    f"consent cannot run until {valid_until.isoformat()}, which is not after "
                    f"the change itself ({self.at.isoformat()})",
                    where="valid_until",
                )
            elif valid_until - self.at > MAX_VALIDITY:
                raise InvalidInput(
                    "consent lasts at most a year before it must be renewed", where="valid_until"
                )
            if level is ConsentLevel.NO_LINKING:
                raise InvalidInput(
                    "giving consent at level 'no_linking' allows nothing; refuse consent instead",
                    where="level",
                )
        elif valid_until is not None:
            raise InvalidInput(f"a '{action}' change has no expiry date", where="valid_until")
        return ConsentChange(
            subject_id=str(self.subject_id),
            purpose=purpose,
            action=action,
            decided_by_id=str(self.decided_by_id),
            decided_by=relation,
            subject_age=self.subject_age,
            at=self.at,
            level=level,
            valid_until=valid_until,
            gillick_competent=self.gillick_competent,
        )


def _member(kind: type[_E], value: object, where: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise InvalidInput(
            f"unknown {where} '{value}'; expected one of: {known}", where=where
        ) from None


def decides_alone(age: int, gillick_competent: bool = False) -> bool:
    """Young people decide for themselves from 16 (or earlier if Gillick competent); a parent then only looks."""
    return age >= SELF_CONSENT_AGE or gillick_competent


def _check_who_decides(relation: Relation, age: int, gillick_competent: bool) -> None:
    alone = decides_alone(age, gillick_competent)
    if relation is Relation.OWN:
        if not alone:
            raise InvalidInput(
                f"a child aged {age} cannot record consent alone unless assessed as Gillick "
                "competent; a parent with parental responsibility decides",
                where="decided_by",
            )
    elif relation is Relation.CHILD_UNDER_PR:
        if age >= ADULT_AGE:
            raise InvalidInput(
                "parental responsibility ends at 18; adults decide for themselves",
                where="decided_by",
            )
        if alone:
            raise InvalidInput(
                f"a young person aged {age} decides about their own consent"
                + (" (assessed Gillick competent)" if age < SELF_CONSENT_AGE else ""),
                where="decided_by",
            )
    else:
        raise InvalidInput(
            "only the person themselves, or a parent for their own child, can decide about consent",
            where="decided_by",
        )


#: What a person is offered to do about one consent, by how it stands now (None: never asked), in order.
_OFFERED: dict[ConsentState | None, tuple[ConsentAction, ...]] = {
    None: (ConsentAction.GIVE, ConsentAction.REFUSE),
    ConsentState.GIVEN: (ConsentAction.RENEW, ConsentAction.GIVE, ConsentAction.WITHDRAW),
    ConsentState.RENEWED: (ConsentAction.RENEW, ConsentAction.GIVE, ConsentAction.WITHDRAW),
    ConsentState.EXPIRED: (ConsentAction.RENEW, ConsentAction.GIVE, ConsentAction.WITHDRAW),
    ConsentState.REFUSED: (ConsentAction.GIVE,),
    ConsentState.WITHDRAWN: (ConsentAction.GIVE, ConsentAction.REFUSE),
}


def actions_offered(state: ConsentState | None) -> tuple[ConsentAction, ...]:
    """The changes to offer someone whose consent stands at ``state``, in the order to show them.

    Each is one ``apply_change`` accepts from that state (giving again while
    a yes stands changes its level). Offering is not deciding: the change is
    still checked when it arrives.
    """
    return _OFFERED[state]


def apply_change(current: ConsentGrant | None, change: ConsentChange) -> ConsentGrant:
    """The consent after ``change``, or ``InvalidInput`` if it contradicts ``current``."""
    change = change.checked()
    purpose = Purpose(change.purpose)
    action = ConsentAction(change.action)
    if current is not None and current.purpose is not purpose:
        raise InvalidInput(
            f"this change is about '{purpose}' but the consent it changes is about '{current.purpose}'",
            where="purpose",
        )
    state = None if current is None else current.effective_state(change.at)
    _check_transition(action, state)
    keeps_level = action is ConsentAction.RENEW and current is not None
    return ConsentGrant(
        purpose=purpose,
        level=current.level if keeps_level and current else ConsentLevel(change.level),
        state=_RESULT[action],
        recorded_at=change.at,
        expires_at=change.valid_until,
        version=1 if current is None else current.version + 1,
    )


def _check_transition(action: ConsentAction, state: ConsentState | None) -> None:
    if action is ConsentAction.WITHDRAW:
        if state is None:
            raise InvalidInput("consent cannot be withdrawn: it was never given", where="action")
        if state is ConsentState.REFUSED:
            raise InvalidInput(
                "consent cannot be withdrawn: it was refused, never given", where="action"
            )
        if state is ConsentState.WITHDRAWN:
            raise InvalidInput("consent has already been withdrawn", where="action")
    elif action is ConsentAction.RENEW:
        if state is None:
            raise InvalidInput("there is no consent to renew: it was never given", where="action")
        if state is ConsentState.REFUSED:
            raise InvalidInput(
                "a refused consent cannot be renewed; give consent instead", where="action"
            )
        if state is ConsentState.WITHDRAWN:
            raise InvalidInput(
                "a withdrawn consent cannot be renewed; give consent again", where="action"
            )
    elif action is ConsentAction.REFUSE:
        if state in ACTIVE_STATES:
            raise InvalidInput(
                "consent is currently given; withdraw it rather than refuse it", where="action"
            )
        if state is ConsentState.REFUSED:
            raise InvalidInput("consent has already been refused", where="action")
