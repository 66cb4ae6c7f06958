"""Storing consent and opt-outs: checked by the core, locked, receipted, audited.

Every change locks the person's row first (``select_for_update``), so two
simultaneous changes for one person queue up instead of overwriting each
other; the core ``apply_change`` then judges the change against what is
stored. Anything wrong raises ``InvalidInput`` before a single row is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import (
    Consent,
    ConsentEvent,
    OptOut,
    OptOutEvent,
    OptOutKind,
)
from famlink.adapters.storage.sources.models import Organisation, Source
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.consent import (
    ConsentAction,
    ConsentChange,
    ConsentGrant,
    ConsentLevel,
    ConsentState,
    Controller,
    Recipient,
    apply_change,
    consent_receipt,
)
from famlink.core.errors import InvalidInput, NotFound
from famlink.core.people import age_on
from famlink.core.policy import PURPOSE_RULES, Actor, Relation, Role
from famlink.core.taxonomy import OrganisationType, Purpose

CONTROLLER = Controller(
    name="The council running famlink",
    contact="Data Protection Officer",
    email="dpo@council.example",
)
WITHDRAWAL_METHOD = "Change your choice on the consent page of the parent portal, or tell any service you use."
WITHDRAWAL_URL = "/consent/"
POLICY_URL = "/how-we-use-your-information/"

_EVENT = {
    ConsentState.GIVEN: AuditEvent.CONSENT_GIVEN,
    ConsentState.REFUSED: AuditEvent.CONSENT_REFUSED,
    ConsentState.WITHDRAWN: AuditEvent.CONSENT_WITHDRAWN,
    ConsentState.RENEWED: AuditEvent.CONSENT_RENEWED,
}


def person_by_public_id(public_id: str) -> Person:
    person = Person.objects.filter(public_id=str(public_id).strip()).first()
    if person is None:
        raise NotFound(f"no person has the id '{public_id}'", where="person")
    return person


def _grant(row: Consent | None) -> ConsentGrant | None:
    if row is None:
        return None
    return ConsentGrant(
        purpose=Purpose(row.purpose), level=ConsentLevel(row.level), state=ConsentState(row.state),
        recorded_at=row.recorded_at, expires_at=row.expires_at, version=row.version,
    )


def _recipients(purpose: Purpose) -> list[Recipient]:
    names = {
        (s.organisation.name, s.organisation.organisation_type)
        for s in Source.objects.select_related("organisation")
        if purpose.value in s.purposes
    }
    return [Recipient(name, OrganisationType(kind)) for name, kind in sorted(names)]


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A consent change as it arrives from a form or the CLI: strings are checked by the core."""

    person: Person
    purpose: Purpose | str
    action: ConsentAction | str
    decided_by_id: str
    decided_by: Relation | str
    level: ConsentLevel | str = ConsentLevel.WITHIN_SERVICE
    valid_until: datetime | None = None
    organisation: Organisation | None = None
    gillick_competent: bool = False
    subject_age: int | None = None


def change_consent(request: ConsentRequest, *, at: datetime | None = None) -> ConsentEvent:
    """Apply one consent change for a person, with its receipt and audit entry, or nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=request.person.pk)
        age = age_on(person.date_of_birth, timezone.localdate(at))  # what the record says wins over a given age
        if age is None:
            if request.subject_age is None:
                raise InvalidInput("this person's date of birth is not known, so give their age", where="subject_age")
            age = request.subject_age
        change = ConsentChange(
            subject_id=person.public_id, purpose=request.purpose, action=request.action,
            decided_by_id=request.decided_by_id, decided_by=request.decided_by,
            subject_age=age, at=at, level=request.level,
            valid_until=request.valid_until, gillick_competent=request.gillick_competent,
        ).checked()
        purpose = Purpose(change.purpose)
        row = Consent.objects.select_for_update().filter(
            person=person, purpose=purpose.value, organisation=request.organisation
        ).first()
        grant = apply_change(_grant(row), change)
        if row is None:
            row = Consent(person=person, purpose=purpose.value, organisation=request.organisation)
        row.level, row.state = grant.level.value, grant.state.value
        row.recorded_at, row.expires_at, row.version = grant.recorded_at, grant.expires_at, grant.version
        row.save()
        receipt_id = uuid.uuid4()
        controllers = [CONTROLLER]
        if request.organisation is not None:
            org = request.organisation
            controllers.append(Controller(name=org.name, contact=org.contact or org.name, email=""))
        receipt = consent_receipt(
            grant, subject_id=person.public_id, decided_by_id=change.decided_by_id,
            decided_by=Relation(change.decided_by), controllers=controllers,
            data_categories=PURPOSE_RULES[purpose].categories, recipients=_recipients(purpose),
            withdrawal_method=WITHDRAWAL_METHOD, withdrawal_url=WITHDRAWAL_URL,
            policy_url=POLICY_URL, receipt_id=receipt_id, issued_at=at,
        )
        entry = append(
            AuditFacts(
                actor_id=change.decided_by_id, actor_role=Role.PARENT.value,
                organisation=request.organisation.name if request.organisation else "",
                purpose=purpose, subject_id=person.public_id, data_categories=(),
                action=_EVENT[grant.state], decision=Verdict.ALLOW, reasons=(f"consent_{grant.state.value}",),
            ),
            at=at,
            need_index=True,  # the event records where its entry is in the log
        )
        return ConsentEvent.objects.create(
            consent=row, version=grant.version, state=grant.state.value, level=grant.level.value,
            occurred_at=at, expires_at=grant.expires_at, decided_by_id=change.decided_by_id,
            decided_by_relation=Relation(change.decided_by).value, receipt_id=receipt_id,
            receipt=receipt, audit_index=entry.index,
        )


def receipts(person: Person) -> list[dict[str, Any]]:
    """Every consent receipt issued for this person, oldest first (for download)."""
    return list(
        ConsentEvent.objects.filter(consent__person=person).order_by("occurred_at", "id").values_list("receipt", flat=True)
    )


@dataclass(frozen=True, slots=True)
class ConsentStanding:
    """One consent as it stands at a moment (a lapsed one reads as expired); ``organisation`` None: every service."""

    purpose: Purpose
    organisation: str | None
    level: ConsentLevel
    state: ConsentState
    expires_at: datetime | None
    version: int

    @property
    def active(self) -> bool:
        return self.state in (ConsentState.GIVEN, ConsentState.RENEWED)

    def as_dict(self) -> dict[str, Any]:
        """As the JSON download and ``famlink consent show --json`` write it."""
        return {"purpose": self.purpose.value, "organisation": self.organisation, "level": self.level.value,
                "state": self.state.value, "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "version": self.version}


def consent_summary(person: Person, now: datetime | None = None) -> list[ConsentStanding]:
    """Each consent as it stands now (a lapsed one reads as expired)."""
    now = now or timezone.now()
    out = []
    for row in Consent.objects.filter(person=person).select_related("organisation").order_by("purpose", "id"):
        grant = _grant(row)
        assert grant is not None
        out.append(ConsentStanding(
            purpose=grant.purpose, organisation=row.organisation.name if row.organisation else None,
            level=grant.level, state=grant.effective_state(now), expires_at=row.expires_at, version=row.version,
        ))
    return out


def set_opt_out(
    person: Person, kind: OptOutKind | str, active: bool, *, recorded_by: Actor, at: datetime | None = None
) -> OptOutEvent:
    """Opt a person out of (or back into) linkage or sharing; a no-op change is refused."""
    at = at or timezone.now()
    try:
        kind = OptOutKind(kind)
    except ValueError:
        known = ", ".join(OptOutKind.values)
        raise InvalidInput(f"unknown opt-out '{kind}'; expected one of: {known}", where="kind") from None
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        row = OptOut.objects.select_for_update().filter(person=locked, kind=kind).first()
        if (row.active if row else False) == active:
            state = "opted out of" if active else "not opted out of"
            raise InvalidInput(f"{locked.public_id} is already {state} {kind.label}", where="opt-out")
        if row is None:
            row = OptOut(person=locked, kind=kind)
        row.active, row.version, row.changed_at = active, row.version + 1, at
        row.save()
        entry = append(
            AuditFacts(
                actor_id=recorded_by.id, actor_role=recorded_by.role.value, organisation=recorded_by.organisation,
                purpose=None, subject_id=locked.public_id, data_categories=(),
                action=AuditEvent.OPT_OUT_SET if active else AuditEvent.OPT_OUT_CLEARED,
                decision=Verdict.ALLOW, reasons=(f"opt_out:{kind.value}",),
            ),
            at=at,
            need_index=True,  # the event records where its entry is in the log
        )
        return OptOutEvent.objects.create(
            opt_out=row, version=row.version, active=active, occurred_at=at,
            recorded_by=recorded_by.id, audit_index=entry.index,
        )


def opt_outs(person: Person) -> dict[str, bool]:
    current = dict(OptOut.objects.filter(person=person).values_list("kind", "active"))
    return {kind.value: bool(current.get(kind.value, False)) for kind in OptOutKind}
