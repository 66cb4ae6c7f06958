"""Information-sharing decisions: to share or not, with whom, what, why, on what lawful basis.

The statutory guidance (HM Government, "Information sharing: advice for
practitioners providing safeguarding services", 2024) asks practitioners to
record every decision, to share or not, with its reasons, and to share only
what is necessary, proportionate, relevant, adequate, accurate, timely and
secure: the "golden rules" a practitioner confirms here before a decision to
share is recorded. A decision is made about a person's data, so it goes
through the policy door for the purpose stated, and its audit entry commits
with it. The parent's access log shows that entry as the access-log rule
allows; the only way to keep it from them is a safeguarding lead's
withholding of notification (child protection), as for any other entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TypeVar

from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.sources.models import Organisation, Source
from famlink.adapters.storage.workspace.models import Alert, SharingDecision
from famlink.core.audit import AuditEvent
from famlink.core.errors import InvalidInput
from famlink.core.policy import Actor
from famlink.core.taxonomy import DataCategory, LawfulBasis, Purpose, RecordCategory
from famlink.services.governance import door
from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.reading import authorisation, person_by_id

#: The seven golden rules, in the guidance's order, with what the practitioner confirms.
GOLDEN_RULES: dict[str, str] = {
    "necessary": "Necessary: sharing is needed for the purpose, and the purpose could not be met without it.",
    "proportionate": "Proportionate: no more is shared than the purpose needs, weighed against the harm of not sharing.",
    "relevant": "Relevant: only information that bears on the purpose is shared.",
    "adequate": "Adequate: enough is shared, of good enough quality, for the recipient to understand and rely on it.",
    "accurate": "Accurate: it is up to date, and opinion is kept apart from fact.",
    "timely": "Timely: it is shared in time to act on, without delay that could put a child at risk.",
    "secure": "Secure: it is sent and kept securely, to the named recipient only.",
}
Verdict = SharingDecision.Verdict
CHARS = {"recipient": 200, "case_reference": 60}
E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class SharingDecisionInput:
    """What the practitioner states. ``golden_rules``: the rules they confirm (all seven to share)."""

    verdict: str
    purpose: str
    recipient: str
    information: str
    categories: frozenset[str]
    reasons: str
    lawful_basis: str
    golden_rules: frozenset[str] = frozenset()
    parent_told: bool = True
    not_told_because: str = ""
    recipient_organisation: str = ""
    case_reference: str = ""
    break_glass: int | None = None


@dataclass(frozen=True)
class SharingRecord:
    """A person's sharing decisions, as the door allowed them to be read for one purpose."""

    person_id: str
    name: str
    purpose: Purpose
    decisions: tuple[SharingDecision, ...] = field(default_factory=tuple)





def _choice(enum: type[E], raw: str, where: str, what: str) -> E:
    try:
        return enum(raw)
    except ValueError:
        known = ", ".join(str(m.value) for m in enum)
        raise InvalidInput(f"choose {what}: one of {known}", where=where) from None


def _text(value: str, where: str, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(missing, where=where)
    if where in CHARS and len(text) > CHARS[where]:
        raise InvalidInput(f"this must be {CHARS[where]} characters or fewer", where=where)
    return text


def _sources(person: Person, categories: Iterable[DataCategory]) -> list[Source]:
    wanted = [c for c in RecordCategory if DataCategory.for_record_category(c) in set(categories)]
    records = holdings.linked_records(person).filter(category__in=wanted)
    return list(Source.objects.filter(pk__in=records.values("source")).select_related("organisation"))



def organisations() -> list[str]:
    """Organisations a decision can name as the recipient's (no personal data)."""
    return list(Organisation.objects.order_by("name").values_list("name", flat=True))


def record_sharing_decision(actor: Actor, person_id: str, decision: SharingDecisionInput, *,
                            at: datetime | None = None) -> SharingDecision:
    """Record one decision through the door, its audit entry in the same transaction."""
    at = at or timezone.now()
    verdict = _choice(Verdict, decision.verdict, "verdict", "share or not share")
    purpose = _choice(Purpose, decision.purpose, "purpose", "a purpose")
    basis = _choice(LawfulBasis, decision.lawful_basis, "lawful_basis", "a lawful basis")
    recipient = _text(decision.recipient, "recipient", "say who the information was shared with, or asked for by")
    information = _text(decision.information, "information", "say what information this decision is about")
    reasons = _text(decision.reasons, "reasons", "say why you decided this")
    reference = (decision.case_reference or "").strip()
    if len(reference) > CHARS["case_reference"]:
        raise InvalidInput(f"the case reference must be {CHARS['case_reference']} characters or fewer",
                           where="case_reference")
    if not decision.categories:
        raise InvalidInput("choose the kinds of information this decision is about", where="categories")
    categories = frozenset(_choice(DataCategory, c, "categories", "a kind of information") for c in decision.categories)
    unknown = set(decision.golden_rules) - set(GOLDEN_RULES)
    if unknown:
        raise InvalidInput(f"unknown golden rule: {', '.join(sorted(unknown))}", where="golden_rules")
    missing = [rule for rule in GOLDEN_RULES if rule not in decision.golden_rules]
    if verdict is Verdict.SHARE and missing:
        raise InvalidInput(f"before sharing, confirm each golden rule; not confirmed: {', '.join(missing)}",
                           where="golden_rules")
    not_told = "" if decision.parent_told else _text(
        decision.not_told_because, "not_told_because", "say why the parent was not told")
    organisation = None
    if decision.recipient_organisation.strip():
        organisation = Organisation.objects.filter(name=decision.recipient_organisation.strip()).first()
        if organisation is None:
            raise InvalidInput("choose the recipient's organisation from the list", where="recipient_organisation")
    person = person_by_id(person_id)
    with door.open(actor, purpose, person, categories, action=AuditEvent.SHARING_DECIDED,
                   sources=_sources(person, categories), break_glass=authorisation(decision.break_glass), now=at):
        made = SharingDecision.objects.create(
            subject=person, decided_by=StaffActor.objects.get(user__username=actor.id), verdict=verdict,
            recipient=recipient, recipient_organisation=organisation, purpose=purpose, lawful_basis=basis,
            information=information, reasons=reasons, parent_told=decision.parent_told, not_told_because=not_told,
            case_reference=reference, decided_at=at)
    raise_alert(person, Alert.Kind.SHARING_DECISION, f"Information-sharing decision recorded: {verdict.label}", by=actor)
    return made


def decisions_for(actor: Actor, person_id: str, purpose: Purpose | str) -> SharingRecord:
    """A person's sharing decisions, newest first, read through the door for ``purpose``."""
    purpose = _choice(Purpose, str(purpose), "purpose", "a purpose")
    person = person_by_id(person_id)
    kinds = holdings.linked_records(person).values_list("category", flat=True).distinct()
    categories = {DataCategory.IDENTITY, *(DataCategory.for_record_category(RecordCategory(c)) for c in kinds)}
    with door.open(actor, purpose, person, categories, sources=_sources(person, categories)):
        rows = tuple(SharingDecision.objects.filter(subject=person)
                     .select_related("decided_by__user", "recipient_organisation").order_by("-decided_at", "-pk"))
        return SharingRecord(person.public_id, person.display_name, purpose, rows)
