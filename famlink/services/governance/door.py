"""The one policy door: every read of personal data goes through ``open()``.

``open()`` builds the ``Actor``, ``Subject`` and ``Context`` from a handful of
rows, asks core ``decide()``, and writes the audit entry. An access that
changes something runs in the SAME transaction as its entry, so the two
commit or vanish together. A read (``READ_EVENTS``) has nothing to commit:
its entry is durable before the door lets the caller go on (committed by the
audit writer, or in its own transaction; see ``audit.append`` and
``audit.writer`` in ``famlink.adapters.storage.governance``):

    with door.open(actor, Purpose.DIRECT_SERVICE_DELIVERY, person, categories) as grant:
        rows = list(records)          # the read

A refusal is logged and committed first, then raised as ``AccessDenied``
with the plain-English reasons. Do not call ``open()`` inside an outer
transaction that the ``AccessDenied`` would roll back (the refusal's entry
would go with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.family.models import HouseholdMembership, Person, Relationship
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.audit.append import append, append_many
from famlink.adapters.storage.governance.models import (
    BreakGlassAuthorisation,
    Consent,
    NotificationWithholding,
    OptOut,
    OptOutKind,
)
from famlink.adapters.storage.sources.models import Source
from famlink.core.audit import READ_EVENTS, AuditEvent, AuditFacts, Verdict
from famlink.core.consent import ConsentGrant, ConsentLevel, ConsentState
from famlink.core.errors import AccessDenied
from famlink.core.people import is_adult
from famlink.core.policy import (
    Actor,
    BreakGlass,
    Context,
    Decision,
    ObligationKind,
    Relation,
    Role,
    Subject,
    decide,
)
from famlink.core.policy import (
    NotificationWithholding as Withholding,
)
from famlink.core.taxonomy import DataCategory, Purpose, Sector

__all__ = ["Grant", "actor_for", "audit_facts", "context_for", "door_uses", "open", "subject_for"]

#: Obligations a view showing identifiable records cannot meet: it must refuse instead.
CANNOT_MEET_BY_DEFAULT = frozenset({ObligationKind.PSEUDONYMISE, ObligationKind.AGGREGATE_ONLY})

_uses: ContextVar[list[int] | None] = ContextVar("famlink_door_uses", default=None)


@contextmanager
def door_uses() -> Iterator[list[int]]:
    """Count door openings in this block: the web layer proves a route asked the door."""
    tally: list[int] = []
    token = _uses.set(tally)
    try:
        yield tally
    finally:
        _uses.reset(token)


@dataclass
class Grant:
    """An allowed access in progress: what was decided, and per-item checks for sensitive data."""

    actor: Actor
    purpose: Purpose
    subject: Subject
    context: Context
    decision: Decision
    action: AuditEvent
    _pending: list[AuditFacts] = field(default_factory=list)

    def sensitive_visible(self, categories: Iterable[DataCategory], protects: Iterable[str] = ()) -> bool:
        """Ask the door about one safeguarding-sensitive item; the answer is logged either way."""
        subject = replace(self.subject, safeguarding_sensitive=True, sensitive_protects=frozenset(protects))
        decision = decide(self.actor, self.purpose, subject, categories, self.context)
        self._pending.append(audit_facts(self.actor, self.purpose, subject, categories, self.action, decision, self.context))
        return decision.allow


def _relation(actor: Actor, person: Person, today: date) -> Relation:
    if actor.role is not Role.PARENT or actor.person_id is None:
        return Relation.UNRELATED
    if actor.person_id == person.public_id:
        return Relation.OWN
    current = Q(to_date__isnull=True) | Q(to_date__gte=today)
    if Relationship.objects.filter(
        current, from_person__public_id=actor.person_id, to_person=person,
        kind=Relationship.Kind.PARENT_OF, parental_responsibility=True,
    ).exists():
        return Relation.CHILD_UNDER_PR
    households = HouseholdMembership.objects.filter(current, person__public_id=actor.person_id).values("household")
    if HouseholdMembership.objects.filter(current, person=person, household__in=households).exists():
        return Relation.OTHER_ADULT_IN_HOUSEHOLD
    return Relation.UNRELATED


def _consents(person: Person, organisation: str) -> dict[Purpose, ConsentGrant]:
    """Consent per purpose: an organisation's own consent wins over the general one."""
    chosen: dict[Purpose, tuple[bool, ConsentGrant]] = {}
    rows = Consent.objects.filter(person=person).filter(Q(organisation__isnull=True) | Q(organisation__name=organisation))
    for row in rows.values("purpose", "organisation_id", "level", "state", "recorded_at", "expires_at", "version"):
        specific = row["organisation_id"] is not None
        purpose = Purpose(row["purpose"])
        if purpose in chosen and chosen[purpose][0] and not specific:
            continue
        grant = ConsentGrant(
            purpose=purpose, level=ConsentLevel(row["level"]), state=ConsentState(row["state"]),
            recorded_at=row["recorded_at"], expires_at=row["expires_at"], version=row["version"],
        )
        chosen[purpose] = (specific, grant)
    return {purpose: grant for purpose, (_, grant) in chosen.items()}


def subject_for(actor: Actor, person: Person, now: datetime) -> Subject:
    """The subject as the policy sees it: relation to the actor, opt-outs, consents."""
    today = timezone.localdate(now)
    opted = set(OptOut.objects.filter(person=person, active=True).values_list("kind", flat=True))
    return Subject(
        person_id=person.public_id,
        is_adult=is_adult(person.date_of_birth, today),
        relation=_relation(actor, person, today),
        opted_out_of_linkage=OptOutKind.LINKAGE in opted,
        opted_out_of_sharing=OptOutKind.SHARING in opted,
        consents=_consents(person, actor.organisation),
    )


def _break_glass(row: BreakGlassAuthorisation | None) -> BreakGlass | None:
    if row is None:
        return None
    return BreakGlass(
        justification=row.justification,
        practitioner_id=row.practitioner.user.get_username(),
        authoriser_id=row.authoriser.user.get_username(),
        authoriser_valid_until=row.authoriser_valid_until,
        granted_at=row.granted_at,
        review_due=row.review_due,
    )


def _withholding(person: Person, now: datetime) -> Withholding | None:
    row = (
        NotificationWithholding.objects.filter(subject=person, decided_at__lte=now, until__gt=now)
        .select_related("decided_by__user").order_by("-decided_at").first()
    )
    if row is None:
        return None
    role = Role.SAFEGUARDING_LEAD if row.decided_by.designated_safeguarding_lead else Role(row.decided_by.role)
    return Withholding(
        decided_by_id=row.decided_by.user.get_username(), decided_by_role=role,
        reason=row.reason, decided_at=row.decided_at, until=row.until,
    )


def context_for(
    person: Person, sources: Iterable[Source], now: datetime, break_glass: BreakGlassAuthorisation | None,
    purpose: Purpose | None = None,
) -> Context:
    """Where the data came from (sectors, agreed purposes), this request's overrides, and the
    consent model the council configured for ``purpose`` (``FAMLINK_CONSENT_MODELS``)."""
    sources = list(sources)
    sectors = frozenset(Sector(s.organisation.sector) for s in sources)
    agreed = frozenset.intersection(*(frozenset(Purpose(p) for p in s.purposes) for s in sources)) if sources else frozenset()
    if break_glass is not None and (break_glass.subject_id != person.pk or now >= break_glass.expires_at):
        break_glass = None  # another person's, or run out: as if none was given
    return Context(now=now, source_sectors=sectors, source_purposes=agreed,
                   break_glass=_break_glass(break_glass), withholding=_withholding(person, now),
                   consent_basis=config.consent_models()[purpose] if purpose is not None else None)


def audit_facts(
    actor: Actor, purpose: Purpose, subject: Subject, categories: Iterable[DataCategory],
    action: AuditEvent, decision: Decision, context: Context, extra: tuple[str, ...] = (),
    justification: str = "",
) -> AuditFacts:
    """The entry's facts; ``justification`` (a case reference) is written after any break-glass's own."""
    written = [context.break_glass.justification] if context.break_glass else []
    if justification:
        written.append(justification)
    return AuditFacts(
        actor_id=actor.id, actor_role=actor.role.value, organisation=actor.organisation,
        purpose=purpose, subject_id=subject.person_id, data_categories=tuple(categories),
        action=action, decision=Verdict.ALLOW if decision.allow and not extra else Verdict.DENY,
        reasons=tuple(c.value for c in decision.codes) + extra,
        justification=" ".join(written),
    )


@contextmanager
def open(
    actor: Actor,
    purpose: Purpose,
    person: Person,
    categories: Iterable[DataCategory],
    *,
    action: AuditEvent = AuditEvent.RECORD_VIEWED,
    sources: Iterable[Source] = (),
    break_glass: BreakGlassAuthorisation | None = None,
    cannot_meet: frozenset[ObligationKind] = CANNOT_MEET_BY_DEFAULT,
    now: datetime | None = None,
    justification: str = "",
) -> Iterator[Grant]:
    """Decide, and on allow run the caller's access; its audit entry is durable before the door closes.

    An access that changes something (an action not in ``READ_EVENTS``) runs
    in one transaction with its entry: both commit or neither. A read has no
    change to commit with, so it runs outside a transaction and its entry is
    written ahead of the data leaving the door (the audit writer's group
    commit, or the entry's own transaction; docs/audit.md §7).
    """
    tally = _uses.get()
    if tally is not None:
        tally.append(1)
    categories = tuple(sorted({DataCategory(c) for c in categories}))
    purpose = Purpose(purpose)
    now = now or timezone.now()
    with nullcontext() if action in READ_EVENTS else transaction.atomic():
        subject = subject_for(actor, person, now)
        context = context_for(person, sources, now, break_glass, purpose)
        decision = decide(actor, purpose, subject, categories, context)
        unmet = tuple(f"obligation_cannot_be_met:{o.kind.value}" for o in decision.obligations if o.kind in cannot_meet)
        facts = audit_facts(actor, purpose, subject, categories, action, decision, context,
                            unmet if decision.allow else (), justification)
        if decision.allow and not unmet:
            grant = Grant(actor, purpose, subject, context, decision, action)
            yield grant  # the caller's read happens here, inside this transaction
            append_many([facts, *grant._pending], at=now)
            return
        append(facts, at=now)
    reasons = list(decision.reasons) if not decision.allow else [
        "This page shows named records, but this purpose allows only totals or pseudonymised data."
    ]
    raise AccessDenied(" ".join(reasons), codes=tuple(c.value for c in decision.codes) + unmet)
