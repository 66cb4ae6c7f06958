"""A family's choices (consent and opt-outs) as the portal shows and changes them.

Every read goes through ``disclose(..., {Part.CONSENT})``, so the page and the
download can never disagree and every look is audited. Changes go through
the governance services (``change_consent``, ``set_opt_out``), which lock,
check, receipt and audit them; this module only works out *who* may change
*what* for the signed-in parent, and rewords the core's refusals in words a
parent understands. A person id that is not in the parent's family is asked
of the policy door anyway, so the refusal is logged, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import ConsentEvent, OptOutEvent, OptOutKind
from famlink.core.audit import AuditEvent
from famlink.core.consent import (
    SELF_CONSENT_AGE,
    ConsentAction,
    ConsentLevel,
    ConsentState,
    actions_offered,
    decides_alone,
    receipt_schema,
)
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.people import ADULT_AGE, age_on
from famlink.core.policy import PURPOSE_RULES, Actor, Relation
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.consent import (
    ConsentRequest,
    ConsentStanding,
    change_consent,
    set_opt_out,
)
from famlink.services.rights.disclosure import Part, PersonView, disclose
from famlink.services.rights.download_words import RELATION_WORDS, not_shown_words

#: The purposes that rest on consent, in the order the page asks about them.
CONSENT_PURPOSES: tuple[Purpose, ...] = tuple(p for p in Purpose if PURPOSE_RULES[p].consent_needed)
#: Levels a parent can say yes at ("no linking" is said by saying no).
GIVE_LEVELS: tuple[ConsentLevel, ...] = (ConsentLevel.WITHIN_SERVICE, ConsentLevel.ACROSS_SERVICES)
CONSENT = frozenset({Part.CONSENT})


@dataclass(frozen=True)
class PurposeChoice:
    """One purpose's consent as it stands now (``state`` None: never asked)."""

    purpose: Purpose
    state: ConsentState | None
    level: ConsentLevel | None
    expires_at: datetime | None
    version: int = 0
    for_organisations: tuple[ConsentStanding, ...] = ()

    @property
    def actions(self) -> tuple[ConsentAction, ...]:
        """What a parent is offered from here (the core still decides)."""
        return actions_offered(self.state)

    @property
    def expires_on(self) -> date | None:
        return timezone.localdate(self.expires_at) if self.expires_at else None


@dataclass(frozen=True)
class PersonChoices:
    public_id: str
    name: str
    relation: Relation  # OWN (the parent) or CHILD_UNDER_PR
    age: int | None
    purposes: tuple[PurposeChoice, ...]
    opt_outs: Mapping[str, bool]
    receipts: tuple[dict[str, Any], ...]

    @property
    def is_parent(self) -> bool:
        return self.relation is Relation.OWN

    @property
    def decides_for_themselves(self) -> bool:
        """A child of 16 or 17 decides alone; the parent can only look."""
        return not self.is_parent and self.age is not None and decides_alone(self.age)

    def purpose(self, purpose: Purpose) -> PurposeChoice:
        for choice in self.purposes:
            if choice.purpose is purpose:
                return choice
        raise NotFound("We do not ask about that.")  # pragma: no cover - every consent purpose is listed


@dataclass(frozen=True)
class FamilyChoices:
    people: tuple[PersonChoices, ...]
    not_shown: tuple[str, ...] = ()  # names of children the door no longer shows
    generated_at: datetime = field(default_factory=timezone.now)

    def person(self, public_id: str) -> PersonChoices:
        for person in self.people:
            if person.public_id == public_id:
                return person
        raise NotFound("There is no such person in your family's records.")


def _choices(view: PersonView, today: date) -> PersonChoices:
    general: dict[Purpose, ConsentStanding] = {}
    specific: dict[Purpose, list[ConsentStanding]] = {}
    for standing in view.consents:
        if standing.organisation:
            specific.setdefault(standing.purpose, []).append(standing)
        else:
            general[standing.purpose] = standing
    purposes = []
    for purpose in CONSENT_PURPOSES:
        stored = general.get(purpose)
        purposes.append(PurposeChoice(
            purpose=purpose,
            state=stored.state if stored else None,
            level=stored.level if stored else None,
            expires_at=stored.expires_at if stored else None,
            version=stored.version if stored else 0,
            for_organisations=tuple(specific.get(purpose, [])),
        ))
    return PersonChoices(
        public_id=view.public_id, name=view.name, relation=view.relation,
        age=age_on(view.date_of_birth, today), purposes=tuple(purposes),
        opt_outs=view.opt_outs, receipts=view.receipts,
    )


def family_choices(actor: Actor, parent: Person, *, action: AuditEvent = AuditEvent.RECORD_VIEWED,
                   now: datetime | None = None) -> FamilyChoices:
    """Every choice the parent can see: theirs and each child's under their responsibility."""
    now = now or timezone.now()
    shown = disclose(actor, parent, CONSENT, action=action, now=now)
    today = timezone.localdate(now)
    return FamilyChoices(people=tuple(_choices(p, today) for p in shown.people),
                         not_shown=tuple(shown.not_shown), generated_at=now)


def member(actor: Actor, parent: Person, public_id: str, *,
           now: datetime | None = None) -> tuple[FamilyChoices, PersonChoices, Person]:
    """One person of the parent's family; anyone else is refused by the door (and logged)."""
    now = now or timezone.now()
    family = family_choices(actor, parent, now=now)
    public_id = str(public_id).strip()[:40]
    try:
        choices = family.person(public_id)
    except NotFound:
        stranger = Person.objects.filter(public_id=public_id).first()
        if stranger is not None:
            # Not theirs: ask the door anyway so the attempt is decided and logged (403).
            with door.open(actor, Purpose.SUBJECT_ACCESS, stranger, (DataCategory.IDENTITY,), now=now):
                pass
        raise
    return family, choices, Person.objects.get(public_id=public_id)


def consent_purpose(value: str) -> Purpose:
    """A purpose the page asks about, or 'not found' in plain words."""
    for purpose in CONSENT_PURPOSES:
        if purpose.value == value:
            return purpose
    raise NotFound("We do not ask about that. Go back to your choices and pick one from the list.")


def _not_theirs(choices: PersonChoices) -> None:
    if choices.decides_for_themselves:
        raise InvalidInput(f"{choices.name} is {SELF_CONSENT_AGE} or over, so they decide this for themselves. "
                           "Nothing was changed.", where="action")


#: The core's refusals, in a parent's words: (action, state as it stands) -> sentence.
_PLAIN = {
    (ConsentAction.WITHDRAW, None): "You cannot stop something you never said yes to. Nothing was changed.",
    (ConsentAction.WITHDRAW, ConsentState.REFUSED): "You already said no. Nothing was changed.",
    (ConsentAction.WITHDRAW, ConsentState.WITHDRAWN): "You have already stopped this. Nothing was changed.",
    (ConsentAction.RENEW, None): "There is nothing to renew, because you have not said yes. Choose 'Yes' instead.",
    (ConsentAction.RENEW, ConsentState.REFUSED): "There is nothing to renew, because you said no. "
                                                 "Choose 'Yes' if you have changed your mind.",
    (ConsentAction.RENEW, ConsentState.WITHDRAWN): "There is nothing to renew, because you stopped it. "
                                                   "Choose 'Yes' if you have changed your mind.",
    (ConsentAction.REFUSE, ConsentState.GIVEN): "You said yes before. To say no now, choose 'Stop'.",
    (ConsentAction.REFUSE, ConsentState.RENEWED): "You said yes before. To say no now, choose 'Stop'.",
    (ConsentAction.REFUSE, ConsentState.REFUSED): "You already said no. Nothing was changed.",
}


def _plain(error: InvalidInput) -> str:
    text = error.message.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def change(actor: Actor, parent: Person, public_id: str, purpose: str, action: str, level: str = "", *,
           now: datetime | None = None) -> tuple[PersonChoices, ConsentEvent]:
    """Say yes, say no, renew, change the level or stop, for the parent or their child.

    Raises ``InvalidInput`` (``where`` is the form field: ``action`` or
    ``level``) with nothing written; ``NotFound``/``AccessDenied`` for
    someone outside the family or a purpose the page does not ask about.
    """
    now = now or timezone.now()
    _, choices, person = member(actor, parent, public_id, now=now)
    wanted = consent_purpose(purpose)
    _not_theirs(choices)
    try:
        act = ConsentAction(action)
    except ValueError:
        raise InvalidInput("Choose what you want to do.", where="action") from None
    current = choices.purpose(wanted)
    if act is ConsentAction.GIVE:
        if level not in {lv.value for lv in GIVE_LEVELS}:
            raise InvalidInput("Choose who can use the records.", where="level")
        chosen = ConsentLevel(level)
    elif act is ConsentAction.REFUSE:  # a "no" links nothing, whatever the form sent
        chosen = ConsentLevel.NO_LINKING
    else:  # renew keeps the level; a withdrawal records the level that was stopped
        chosen = current.level or ConsentLevel.WITHIN_SERVICE
    request = ConsentRequest(
        person=person, purpose=wanted, action=act, level=chosen, decided_by_id=actor.id,
        decided_by=Relation.OWN if choices.is_parent else Relation.CHILD_UNDER_PR,
        # a verified parent is an adult; the service only needs an age when the date of birth is missing
        subject_age=ADULT_AGE if choices.is_parent and choices.age is None else None,
    )
    try:
        event = change_consent(request, at=now)
    except InvalidInput as error:
        where = "level" if error.where == "level" else "action"
        raise InvalidInput(_PLAIN.get((act, current.state), _plain(error)), where=where) from None
    return choices, event


def opt_out(actor: Actor, parent: Person, public_id: str, kind: str, choice: str, *,
            now: datetime | None = None) -> tuple[PersonChoices, OptOutEvent]:
    """Opt out of (``choice='yes'``) or back into (``'no'``) linking or sharing."""
    now = now or timezone.now()
    _, choices, person = member(actor, parent, public_id, now=now)
    wanted = opt_out_kind(kind)
    _not_theirs(choices)
    if choice not in {"yes", "no"}:
        raise InvalidInput("Choose yes or no.", where="choice")
    active = choice == "yes"
    if choices.opt_outs.get(wanted.value, False) == active:
        raise InvalidInput("That is already your choice. Nothing was changed.", where="choice")
    try:
        event = set_opt_out(person, wanted, active, recorded_by=actor, at=now)
    except InvalidInput:  # someone else changed it a moment ago
        raise InvalidInput("That is already your choice. Nothing was changed.", where="choice") from None
    return choices, event


def opt_out_kind(value: str) -> OptOutKind:
    try:
        return OptOutKind(value)
    except ValueError:
        raise NotFound("There is no such choice. Go back to your choices and pick one from the list.") from None


def receipts_document(actor: Actor, parent: Person, *, now: datetime | None = None) -> dict[str, Any]:
    """Every consent receipt for the family (ISO/IEC TS 27560 fields), read through the door."""
    family = family_choices(actor, parent, action=AuditEvent.DATA_DOWNLOADED, now=now)
    return {
        "receipt_schema": receipt_schema()["$id"],
        "generated_at": family.generated_at.isoformat(),
        "people": [{"person_id": p.public_id, "name": p.name, "relation": RELATION_WORDS[p.relation],
                    "receipts": list(p.receipts)} for p in family.people],
        "not_shown": [not_shown_words(name) for name in family.not_shown],
    }


__all__ = [
    "CONSENT_PURPOSES", "GIVE_LEVELS", "FamilyChoices", "PersonChoices", "PurposeChoice", "change",
    "consent_purpose", "family_choices", "member", "opt_out", "opt_out_kind", "receipts_document",
]
