"""One person's data as a practitioner's purpose allows it: the door asked, and what it held back and why.

Every workspace view (search, opening, family view, chronology) reads a
person here, so what one shows and another hides can never differ. For each
person the door is asked at most twice:

1. for the categories and sources the purpose can cover (the sources that
   shared their records for this purpose, the categories its rule lists):
   ``decide()`` says yes or no, and safeguarding-sensitive records and
   addresses are each put to it again (``services.governance.sensitive``);
2. for whatever is left (a source that did not share for this purpose, a
   category the purpose does not cover), so that ``decide()`` itself says
   why it is held back, and the refusal is in the log like any other.

Nothing is held back without a reason from ``decide()``, and each reason
comes with the lawful route that exists, if any (``lawful_route``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import holdings
from famlink.adapters.storage.governance.models import BreakGlassAuthorisation
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent
from famlink.core.errors import AccessDenied, InvalidInput, NotFound
from famlink.core.policy import PURPOSE_RULES, REASON_TEXT, Actor, ReasonCode
from famlink.core.taxonomy import DataCategory, Purpose, RecordCategory
from famlink.services.governance import door, sensitive

#: Categories a person's identity and home are read under (every view needs the name).
PERSON_CATEGORIES = (DataCategory.IDENTITY, DataCategory.CONTACT)

_R = ReasonCode
#: Reason codes the person's own say (consent, opt-outs) stands behind: child protection can override them.
_PERSONS_SAY = frozenset({_R.CONSENT_MISSING, _R.CONSENT_REFUSED, _R.CONSENT_WITHDRAWN, _R.CONSENT_EXPIRED,
                          _R.CONSENT_LEVEL_TOO_LOW, _R.OPTED_OUT_OF_SHARING, _R.OPTED_OUT_OF_LINKAGE})
_BREAK_GLASS_FAULTS = frozenset({_R.BREAK_GLASS_NOT_YOURS, _R.BREAK_GLASS_JUSTIFICATION_MISSING,
                                 _R.BREAK_GLASS_JUSTIFICATION_TOO_SHORT, _R.BREAK_GLASS_NO_AUTHORISER,
                                 _R.BREAK_GLASS_SAME_PERSON, _R.BREAK_GLASS_AUTHORITY_EXPIRED})

ROUTE_BREAK_GLASS = ("Child protection: ask for break-glass access, justified in writing and approved by a named "
                     "authoriser. The family is told, unless a safeguarding lead withholds it for a limited time.")
ROUTE_CONSENT_OR_CHILD_PROTECTION = (
    "Ask the family: they can give consent in their portal. Only if a child may be at risk of significant harm, "
    "open the family for child protection, where an authorised break-glass can override what they said.")
ROUTE_FIX_BREAK_GLASS = "The break-glass given cannot be used (see the reasons): ask for a new one."
ROUTE_AUTHORISATION = "None for you yet: your manager can authorise you for this purpose."
ROUTE_NONE = "None for this purpose."


def lawful_route(purpose: Purpose, codes: Iterable[str]) -> str:
    """Which lawful way exists to the data ``decide()`` held back for these reasons (words, never a rule:
    the door decides again, whatever route is taken)."""
    known = {ReasonCode(c) for c in codes if c in ReasonCode._value2member_map_}
    rule = PURPOSE_RULES.get(purpose)
    if known & _BREAK_GLASS_FAULTS:
        return ROUTE_FIX_BREAK_GLASS
    if _R.BREAK_GLASS_REQUIRED in known:
        return ROUTE_BREAK_GLASS
    if _R.NOT_AUTHORISED_FOR_PURPOSE in known:
        return ROUTE_AUTHORISATION
    if known and known <= _PERSONS_SAY and rule is not None and not rule.break_glass:
        return ROUTE_CONSENT_OR_CHILD_PROTECTION
    return ROUTE_NONE


def reason_texts(error: AccessDenied) -> tuple[str, ...]:
    """The door's reasons in words, one per reason code (the message itself when it has none)."""
    texts = tuple(REASON_TEXT[ReasonCode(c)] for c in error.codes if c in ReasonCode._value2member_map_)
    return texts or (error.message,)


@dataclass(frozen=True)
class HeldBack:
    """Something the door did not show, why (``decide()``'s reasons in words) and the lawful route, if any."""

    what: str
    categories: tuple[DataCategory, ...]
    reasons: tuple[str, ...]
    codes: tuple[str, ...]
    route: str

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "categories": [c.value for c in self.categories], "reasons": list(self.reasons),
                "reason_codes": list(self.codes), "lawful_route": self.route}


@dataclass
class PersonRead:
    """What the door let this actor see of one person for one purpose (not frozen: built up as it is read)."""

    person: Person
    shown: bool = False
    records: list[SourceRecord] = field(default_factory=list)
    addresses: list[sensitive.AddressLine] = field(default_factory=list)
    addresses_held: int = 0
    categories: frozenset[DataCategory] = frozenset()
    held_back: list[HeldBack] = field(default_factory=list)
    allowed_because: tuple[str, ...] = ()


#: What a person's public id can look like; anything else (a NUL byte, which PostgreSQL refuses in a query) is not held.
PUBLIC_ID = re.compile(r"[A-Za-z0-9._~-]{1,40}")


def person_by_id(public_id: str) -> Person:
    """A person named in a URL or a request: any id not held is 'not found', never a hint of whose it is.

    The one lookup every workspace service uses, so a hostile id is refused alike everywhere.
    """
    text = str(public_id or "")
    person = Person.objects.filter(public_id=text).first() if PUBLIC_ID.fullmatch(text) else None
    if person is None:
        raise NotFound("There is no such person.")
    return person


def authorisation(number: int | None) -> BreakGlassAuthorisation | None:
    """The break-glass named (the door checks it is this actor's, for this person, and in time)."""
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidInput("a break-glass is named by its number", where="break_glass")
    return (BreakGlassAuthorisation.objects.select_related("practitioner__user", "authoriser__user")
            .filter(pk=number).first())


def _covered(purpose: Purpose, source: Source, category: DataCategory) -> bool:
    rule = PURPOSE_RULES.get(purpose)
    agreed = purpose in {Purpose(p) for p in source.purposes if p in Purpose._value2member_map_}
    return agreed and rule is not None and category in rule.categories


def read_person(actor: Actor, purpose: Purpose, person: Person, *, action: AuditEvent = AuditEvent.RECORD_VIEWED,
                break_glass: BreakGlassAuthorisation | None = None, justification: str = "",
                records: bool = True, addresses: bool = True, derived: bool = False,
                now: datetime | None = None, on_allow: Callable[[], object] | None = None) -> PersonRead:
    """Ask the door about ``person`` and keep what it allows (see the module's docstring).

    ``on_allow`` runs inside the first, allowed door call: for an access that writes (an opening), in the
    same transaction as its audit entry."""
    now = now or timezone.now()
    held = list(holdings.linked_records(person).select_related("source__organisation")) if records else []
    if not records:
        held_sources = list(Source.objects.filter(
            pk__in=holdings.linked_records(person).values("source")).select_related("organisation"))
    else:
        held_sources = list({r.source_id: r.source for r in held}.values())
    wanted = set(PERSON_CATEGORIES) | ({DataCategory.DERIVED} if derived else set())
    covered_records: list[SourceRecord] = []
    rest_records: list[SourceRecord] = []
    for r in held:
        (covered_records if _covered(purpose, r.source, sensitive.category_of(r)) else rest_records).append(r)
    covered_sources = [s for s in held_sources if purpose in s.purposes] or held_sources
    ask = wanted | {sensitive.category_of(r) for r in covered_records}
    out = PersonRead(person)
    try:
        with door.open(actor, purpose, person, ask, action=action, sources=covered_sources,
                       break_glass=break_glass, justification=justification, now=now) as grant:
            out.shown = True
            if on_allow is not None:
                on_allow()
            out.categories = frozenset(ask)
            out.allowed_because = tuple(REASON_TEXT[c] for c in grant.decision.codes)
            if covered_records:
                out.records = sensitive.shown_records(grant, covered_records)
            if addresses:
                out.addresses = sensitive.shown_addresses(grant, person)
                out.addresses_held = person.memberships.count() - len(out.addresses)
    except AccessDenied as refused:
        out.held_back.append(HeldBack("everything about this person for this purpose", tuple(sorted(ask)),
                                      reason_texts(refused), refused.codes, lawful_route(purpose, refused.codes)))
        return out
    hidden = len(covered_records) - len(out.records)
    if hidden or out.addresses_held:
        text = REASON_TEXT[ReasonCode.SAFEGUARDING_SENSITIVE]
        what = ", ".join(part for part in (
            f"{hidden} safeguarding-sensitive record{'s' if hidden != 1 else ''}" if hidden else "",
            f"{out.addresses_held} address{'es' if out.addresses_held != 1 else ''}" if out.addresses_held else "",
        ) if part)
        out.held_back.append(HeldBack(what, (), (text,), (ReasonCode.SAFEGUARDING_SENSITIVE.value,), ROUTE_NONE))
    if rest_records:
        _read_rest(actor, purpose, person, rest_records, out, action, break_glass, justification, now)
    return out


def _read_rest(actor: Actor, purpose: Purpose, person: Person, rest: list[SourceRecord], out: PersonRead,
               action: AuditEvent, break_glass: BreakGlassAuthorisation | None, justification: str,
               now: datetime) -> None:
    """The records the purpose cannot cover: the door is asked, so the refusal and its reasons are its own."""
    categories = {sensitive.category_of(r) for r in rest}
    sources = list({r.source_id: r.source for r in rest}.values())
    try:
        with door.open(actor, purpose, person, categories, action=action, sources=sources,
                       break_glass=break_glass, justification=justification, now=now) as grant:
            out.records += sensitive.shown_records(grant, rest)
            out.categories |= categories
    except AccessDenied as refused:
        organisations = sorted({s.organisation.name for s in sources})
        kinds = sorted({RecordCategory(r.category).family.replace("_", " ") for r in rest})
        what = (f"{len(rest)} record{'s' if len(rest) != 1 else ''} ({', '.join(kinds)}) "
                f"from {', '.join(organisations)}")
        out.held_back.append(HeldBack(what, tuple(sorted(categories)), reason_texts(refused), refused.codes,
                                      lawful_route(purpose, refused.codes)))


__all__ = ["PERSON_CATEGORIES", "HeldBack", "PersonRead", "authorisation", "lawful_route", "person_by_id",
           "read_person", "reason_texts"]
