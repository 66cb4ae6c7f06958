"""The one policy door: ``decide()`` says whether personal data may be used.

Deny by default. Every branch that allows returns the reason and the
obligations that go with it; everything else falls through to a refusal
with every reason that applied, so a person reading the audit log learns
all that stood in the way, not just the first thing.

The rules are written out in docs/governance.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from famlink.core.consent.states import ConsentLevel, ConsentState
from famlink.core.errors import InvalidInput
from famlink.core.policy.model import (
    Actor,
    ConsentBasis,
    ConsentModel,
    Context,
    Decision,
    LoggedAccess,
    LogShowing,
    Obligation,
    ObligationKind,
    ReasonCode,
    Relation,
    Role,
    Subject,
)
from famlink.core.taxonomy import DataCategory, LawfulBasis, Purpose

INDEPENDENT_REVIEW_DAYS = 14
MAX_WITHHOLDING = timedelta(days=28)
MIN_JUSTIFICATION_CHARS = 20

ALL_CATEGORIES = frozenset(DataCategory)
_STAFF = frozenset({Role.PRACTITIONER, Role.SAFEGUARDING_LEAD})
#: People acting for themselves, not for the council: what they do is their own business.
_PEOPLE = frozenset({Role.PARENT, Role.PUBLIC})
_O = ObligationKind


@dataclass(frozen=True, slots=True)
class PurposeRule:
    """What one purpose allows staff to do.

    ``consent_needed``: the purpose rests on consent, so a missing or lapsed
    consent refuses (child protection alone can override, by break-glass).
    ``needs_linked_data``: the purpose only works on linked records, so an
    opt-out of linkage refuses it even within one service.
    ``opt_outs_apply``: False only where the use serves the person's own
    rights (a subject access request is not sharing).
    ``break_glass``: child protection may override what the person said
    (consent, opt-outs) for this purpose, by an authorised break-glass.
    ``within_service_free``: within one service the purpose needs no consent
    whatever the configured model (the service's own record keeping);
    the model governs use across services.
    """

    roles: frozenset[Role]
    categories: frozenset[DataCategory]
    lawful_basis: LawfulBasis
    consent_needed: bool
    sensitive_allowed: bool = False
    needs_linked_data: bool = False
    within_service_only: bool = False
    opt_outs_apply: bool = True
    break_glass: bool = False
    within_service_free: bool = False
    obligations: tuple[ObligationKind, ...] = ()
    #: the law a purpose no opt-out applies to rests on (its default ``statutory`` basis, named)
    law: str = ""


PURPOSE_RULES: dict[Purpose, PurposeRule] = {
    Purpose.DIRECT_SERVICE_DELIVERY: PurposeRule(
        roles=_STAFF,
        categories=ALL_CATEGORIES,
        lawful_basis=LawfulBasis.CONSENT,
        consent_needed=True,
        sensitive_allowed=True,
        obligations=(_O.SHOW_DISPUTES,),
    ),
    Purpose.EARLY_HELP_IDENTIFICATION: PurposeRule(
        roles=_STAFF,
        categories=ALL_CATEGORIES - {DataCategory.POLICE},
        lawful_basis=LawfulBasis.CONSENT,
        consent_needed=True,
        needs_linked_data=True,
        obligations=(_O.SHOW_DISPUTES,),
    ),
    Purpose.SAFEGUARDING_CHILD_PROTECTION: PurposeRule(
        roles=_STAFF,
        categories=ALL_CATEGORIES,
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        consent_needed=True,  # may be overridden only by break-glass
        sensitive_allowed=True,
        break_glass=True,
        obligations=(_O.SHOW_DISPUTES,),
    ),
    Purpose.SERVICE_PLANNING: PurposeRule(
        roles=frozenset({Role.DATA_TEAM}),
        categories=ALL_CATEGORIES - {DataCategory.IDENTITY},
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        consent_needed=False,
        needs_linked_data=True,
        obligations=(_O.PSEUDONYMISE, _O.AGGREGATE_ONLY),
    ),
    Purpose.RESEARCH_STATISTICS: PurposeRule(
        roles=frozenset({Role.DATA_TEAM}),
        categories=ALL_CATEGORIES - {DataCategory.IDENTITY, DataCategory.CONTACT},
        lawful_basis=LawfulBasis.CONSENT,
        consent_needed=True,
        needs_linked_data=True,
        obligations=(_O.PSEUDONYMISE,),
    ),
    Purpose.FRAUD_DEBT: PurposeRule(
        roles=frozenset({Role.PRACTITIONER}),
        categories=frozenset(
            {
                DataCategory.IDENTITY,
                DataCategory.CONTACT,
                DataCategory.HOUSING,
                DataCategory.WELFARE,
            }
        ),
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        consent_needed=False,
        within_service_only=True,
        obligations=(_O.SHOW_DISPUTES,),
    ),
    Purpose.SUBJECT_ACCESS: PurposeRule(
        roles=frozenset({Role.DATA_TEAM, Role.DPO}),
        categories=ALL_CATEGORIES,
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        consent_needed=False,
        sensitive_allowed=True,  # to redact it, not to disclose it
        opt_outs_apply=False,
        obligations=(_O.SHOW_DISPUTES,),
        law="UK GDPR Article 15, the right of access",
    ),
    Purpose.RECORD_LINKAGE: PurposeRule(
        roles=frozenset({Role.DATA_TEAM, Role.DPO, Role.SYSTEM}),
        categories=frozenset({DataCategory.IDENTITY, DataCategory.CONTACT}),
        lawful_basis=LawfulBasis.CONSENT,
        consent_needed=True,
        needs_linked_data=True,
        # an opted-out person's records may be linked when clearly relevant to
        # child protection (policy brief recommendation 4)
        break_glass=True,
        # deduplicating one service's own records is that service's record keeping
        within_service_free=True,
    ),
}

_CONSENT_STATE_CODE = {
    ConsentState.REFUSED: ReasonCode.CONSENT_REFUSED,
    ConsentState.WITHDRAWN: ReasonCode.CONSENT_WITHDRAWN,
    ConsentState.EXPIRED: ReasonCode.CONSENT_EXPIRED,
}


def default_basis(purpose: Purpose) -> ConsentBasis:
    """The consent model a purpose runs under when the council configured none.

    A purpose that rests on consent is ``consent``; one that honours
    opt-outs without asking is ``opt_out``; one no opt-out applies to
    (a subject access request: the person's own legal right) is
    ``statutory``, on the purpose's lawful basis.
    """
    rule = PURPOSE_RULES[purpose]
    if rule.consent_needed:
        return ConsentBasis(ConsentModel.CONSENT)
    if rule.opt_outs_apply:
        return ConsentBasis(ConsentModel.OPT_OUT)
    return ConsentBasis(ConsentModel.STATUTORY, rule.law or rule.lawful_basis.value.replace("_", " "))


def _obligations(*kinds: ObligationKind) -> tuple[Obligation, ...]:
    return tuple(Obligation(kind) for kind in kinds)


def _deny(codes: Iterable[ReasonCode]) -> Decision:
    return Decision(False, tuple(codes) or (ReasonCode.DENY_BY_DEFAULT,), _obligations(_O.AUDIT))


def decide(
    actor: Actor,
    purpose: Purpose,
    subject: Subject,
    data_categories: Iterable[DataCategory],
    context: Context,
) -> Decision:
    """May ``actor`` use these categories of ``subject``'s data for ``purpose``, now?

    Pure: no I/O, no clock (``context.now``), no randomness. Every decision,
    allow or deny, carries the ``audit`` obligation (invariant 1).
    """
    if context.now.tzinfo is None:
        raise InvalidInput("policy decisions need a time-zone-aware 'now'", where="context.now")
    categories = frozenset(data_categories)
    if not categories:
        return _deny((ReasonCode.NO_DATA_CATEGORIES,))
    role = actor.role
    if role is Role.PUBLIC:
        return _deny((ReasonCode.PUBLIC_NO_PERSONAL_DATA,))
    if role is Role.AUDITOR:
        return _deny((ReasonCode.AUDITOR_NO_PERSONAL_DATA,))
    if role is Role.INDEPENDENT_REVIEWER:
        return _deny((ReasonCode.REVIEWER_NO_PERSONAL_DATA,))
    if role is Role.PARENT:
        return _decide_for_parent(actor, purpose, subject)
    return _decide_for_staff(actor, purpose, subject, categories, context)


def _decide_for_parent(actor: Actor, purpose: Purpose, subject: Subject) -> Decision:
    """Own records and children's; never another adult's; never what protects someone else."""
    codes: list[ReasonCode] = []
    if purpose is not Purpose.SUBJECT_ACCESS:
        codes.append(ReasonCode.PARENT_SUBJECT_ACCESS_ONLY)
    relation = subject.relation
    own = relation is Relation.OWN and actor.person_id == subject.person_id
    if relation is Relation.OWN and not own:
        codes.append(ReasonCode.UNRELATED_PERSON)  # storage's relation contradicts the ids
    elif relation is Relation.CHILD_UNDER_PR and subject.is_adult:
        codes.append(ReasonCode.CHILD_NOW_ADULT)
    elif relation is Relation.OTHER_ADULT_IN_HOUSEHOLD:
        codes.append(ReasonCode.OTHER_ADULTS_RECORD)
    elif relation is Relation.UNRELATED:
        codes.append(ReasonCode.UNRELATED_PERSON)
    protects_actor = actor.person_id is not None and actor.person_id in subject.sensitive_protects
    # Only the person a marker protects may see it; a marker naming nobody
    # protects its subject, so it is visible on their own record only.
    hidden = subject.sensitive_protects or not own
    if subject.safeguarding_sensitive and not protects_actor and hidden:
        codes.append(ReasonCode.SAFEGUARDING_SENSITIVE)
    if codes:
        return _deny(codes)
    allowed = [ReasonCode.OWN_RECORD if own else ReasonCode.CHILD_UNDER_PR]
    if subject.safeguarding_sensitive and protects_actor:
        allowed.append(ReasonCode.SENSITIVE_PROTECTS_ACTOR)
    return Decision(True, tuple(allowed), _obligations(_O.AUDIT, _O.SHOW_DISPUTES))


def access_log_showing(viewer: Actor, entry: LoggedAccess) -> LogShowing:
    """How a parent's access log shows one entry about their family: the one rule for every format.

    The log answers "what did staff and systems do with our data?". Staff and
    systems are named in full: they answer for what they did. A person acting
    for themselves is not: the viewer's own visits are left out (they know
    them), another parent's own visits, downloads and refusals are left out
    (they are that parent's business, and in a refuge they would say where
    the mother is and when), and someone outside the family who was refused
    is shown as a request we refused, never who made it. A child-protection
    entry, or any entry a break-glass was put forward for, is left out while
    a safeguarding lead withholds notification.
    """
    if entry.actor_id == viewer.id:
        return LogShowing.NOT_SHOWN
    if entry.withheld and (entry.purpose is Purpose.SAFEGUARDING_CHILD_PROTECTION or entry.break_glass):
        return LogShowing.NOT_SHOWN
    if entry.actor_role not in _PEOPLE:
        return LogShowing.IN_FULL
    if entry.allowed or entry.actor_in_family:
        return LogShowing.NOT_SHOWN
    return LogShowing.REFUSAL_ONLY


def access_log_reason_shown(entry: LoggedAccess) -> bool:
    """Whether an entry shown in full also shows its written justification.

    A child-protection look carries the reason the practitioner wrote: the
    parent is told why, not just that someone looked.
    """
    return entry.purpose is Purpose.SAFEGUARDING_CHILD_PROTECTION


def _needed_level(actor: Actor, context: Context) -> ConsentLevel:
    sectors = context.source_sectors
    if len(sectors) == 1 and (actor.sector is None or actor.sector in sectors):
        return ConsentLevel.WITHIN_SERVICE
    return ConsentLevel.ACROSS_SERVICES


def _decide_for_staff(
    actor: Actor,
    purpose: Purpose,
    subject: Subject,
    categories: frozenset[DataCategory],
    context: Context,
) -> Decision:
    rule = PURPOSE_RULES.get(purpose)
    if rule is None or actor.role not in rule.roles:
        return _deny((ReasonCode.ROLE_NOT_ALLOWED_FOR_PURPOSE,))
    codes: list[ReasonCode] = []
    if purpose not in actor.purposes:
        codes.append(ReasonCode.NOT_AUTHORISED_FOR_PURPOSE)
    if purpose is not Purpose.SUBJECT_ACCESS and purpose not in context.source_purposes:
        codes.append(ReasonCode.SOURCE_PURPOSE_MISMATCH)
    if not categories <= rule.categories:
        codes.append(ReasonCode.CATEGORY_NOT_ALLOWED)
    needed = _needed_level(actor, context)
    across = needed is ConsentLevel.ACROSS_SERVICES
    if rule.within_service_only and across:
        codes.append(ReasonCode.ACROSS_SERVICES_NOT_ALLOWED)
    if subject.safeguarding_sensitive and not rule.sensitive_allowed:
        codes.append(ReasonCode.SAFEGUARDING_SENSITIVE)
    if codes:  # break-glass overrides consent and opt-outs, never these
        if context.break_glass is not None and not rule.break_glass:
            codes.append(ReasonCode.BREAK_GLASS_ONLY_FOR_CHILD_PROTECTION)
        return _deny(codes)

    model = (context.consent_basis or default_basis(purpose)).model
    configured = context.consent_basis is not None
    blockers = _consent_blockers(purpose, rule, model, subject, needed, across, context)
    obligations = [_O.AUDIT, *rule.obligations]
    if subject.safeguarding_sensitive:
        obligations.append(_O.KEEP_FROM_HOUSEHOLD)
    if not blockers:
        return Decision(True, (_allowed_by(rule, model, across, configured),), _obligations(*obligations))
    if not rule.break_glass:
        if context.break_glass is not None:
            blockers.append(ReasonCode.BREAK_GLASS_ONLY_FOR_CHILD_PROTECTION)
        return _deny(blockers)
    return _break_glass(actor, blockers, obligations, context)


def _allowed_by(rule: PurposeRule, model: ConsentModel, across: bool, configured: bool) -> ReasonCode:
    """Why a use nothing stands in the way of is allowed (a statutory duty only when the council named one)."""
    if not across and rule.within_service_free:
        return ReasonCode.WITHIN_ONE_SERVICE
    if model is ConsentModel.STATUTORY and configured:
        return ReasonCode.STATUTORY_DUTY
    if model is ConsentModel.CONSENT:
        return ReasonCode.CONSENT_SUFFICIENT
    return ReasonCode.NO_CONSENT_NEEDED


def _consent_blockers(
    purpose: Purpose,
    rule: PurposeRule,
    model: ConsentModel,
    subject: Subject,
    needed: ConsentLevel,
    across: bool,
    context: Context,
) -> list[ReasonCode]:
    """Everything the person has said that stands in the way of this use, under the purpose's consent model.

    ``statutory``: nothing the person says stands in the way (the law the
    council named requires it). ``opt_out``: opt-outs, and a "no" (refused
    or withdrawn consent) for this purpose. ``consent``: opt-outs, and
    anything short of a current yes at a level that covers the use. Within
    one service a ``within_service_free`` purpose needs no consent whatever
    the model; an opt-out of linkage still stands there.
    """
    blockers: list[ReasonCode] = []
    if model is ConsentModel.STATUTORY:
        return blockers
    if across and rule.opt_outs_apply and subject.opted_out_of_sharing:
        blockers.append(ReasonCode.OPTED_OUT_OF_SHARING)
    linked = across or rule.needs_linked_data
    if linked and rule.opt_outs_apply and subject.opted_out_of_linkage:
        blockers.append(ReasonCode.OPTED_OUT_OF_LINKAGE)
    if not across and rule.within_service_free:
        return blockers
    grant = subject.consents.get(purpose)
    state = grant.effective_state(context.now) if grant is not None else None
    if model is ConsentModel.OPT_OUT:
        if state in (ConsentState.REFUSED, ConsentState.WITHDRAWN):
            blockers.append(_CONSENT_STATE_CODE[state])
    elif grant is None:
        blockers.append(ReasonCode.CONSENT_MISSING)
    elif state in _CONSENT_STATE_CODE:
        blockers.append(_CONSENT_STATE_CODE[state])
    elif not grant.level.covers(needed):
        blockers.append(ReasonCode.CONSENT_LEVEL_TOO_LOW)
    return blockers


def _break_glass(
    actor: Actor,
    blockers: list[ReasonCode],
    obligations: list[ObligationKind],
    context: Context,
) -> Decision:
    """Child protection may override what the person said, but only like this."""
    glass = context.break_glass
    if glass is None:
        return _deny([*blockers, ReasonCode.BREAK_GLASS_REQUIRED])
    problems: list[ReasonCode] = []
    # a system (linkage) applies the break-glass a practitioner recorded; a person may use only their own
    if glass.practitioner_id != actor.id and actor.role is not Role.SYSTEM:
        problems.append(ReasonCode.BREAK_GLASS_NOT_YOURS)
    justification = glass.justification.strip()
    if not justification:
        problems.append(ReasonCode.BREAK_GLASS_JUSTIFICATION_MISSING)
    elif len(justification) < MIN_JUSTIFICATION_CHARS:
        problems.append(ReasonCode.BREAK_GLASS_JUSTIFICATION_TOO_SHORT)
    authoriser = glass.authoriser_id.strip()
    if not authoriser:
        problems.append(ReasonCode.BREAK_GLASS_NO_AUTHORISER)
    elif authoriser in (glass.practitioner_id.strip(), actor.id):
        problems.append(ReasonCode.BREAK_GLASS_SAME_PERSON)
    if context.now >= glass.authoriser_valid_until:
        problems.append(ReasonCode.BREAK_GLASS_AUTHORITY_EXPIRED)
    if problems:
        return _deny([*blockers, *problems])

    latest_review = glass.granted_at.date() + timedelta(days=INDEPENDENT_REVIEW_DAYS)
    review_by = min(glass.review_due, latest_review) if glass.review_due else latest_review
    result = [Obligation(kind) for kind in obligations]
    result.append(Obligation(_O.INDEPENDENT_REVIEW_BY, review_by))
    codes = [*blockers, ReasonCode.BREAK_GLASS_ACCEPTED]
    notice = break_glass_notice(actor, context)
    result.append(notice)
    if notice.kind is _O.WITHHOLD_NOTIFICATION_UNTIL:
        codes.append(ReasonCode.NOTIFICATION_WITHHELD)
    elif context.withholding is not None:
        codes.append(ReasonCode.WITHHOLDING_NOT_VALID)
    return Decision(True, tuple(codes), tuple(result))


def break_glass_notice(actor: Actor, context: Context) -> Obligation:
    """What a break-glass used by ``actor`` obliges about telling the person: tell them now
    (``notify_subject``), or not before the date a valid withholding runs to.

    The same answer ``decide()`` gives with an accepted break-glass; asked on
    its own when the authorisation is made and when a withholding ends, so
    the family is told exactly when the policy says.
    """
    withheld_until = _valid_withholding(actor, context)
    if withheld_until is not None:
        return Obligation(_O.WITHHOLD_NOTIFICATION_UNTIL, withheld_until)
    return Obligation(_O.NOTIFY_SUBJECT)


def _valid_withholding(actor: Actor, context: Context) -> date | None:
    """The date notification may be held back to, if a valid decision says so.

    Valid means: made by a designated safeguarding lead who is not the
    person using break-glass, with a reason, not yet expired, and lasting
    no more than 28 days (it is re-reviewed by making a new decision).
    """
    held = context.withholding
    if held is None:
        return None
    valid = (
        held.decided_by_role is Role.SAFEGUARDING_LEAD
        and held.decided_by_id.strip() not in ("", actor.id)
        and bool(held.reason.strip())
        and held.decided_at <= context.now < held.until
        and held.until - held.decided_at <= MAX_WITHHOLDING
    )
    return held.until.date() if valid else None
