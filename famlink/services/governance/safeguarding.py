"""Child-protection break-glass and notification withholding, stored and audited.

The policy checks a break-glass again at every use; these functions refuse a
bad one at the moment it is recorded, so nobody is left holding an
authorisation that will never work: no justification, one person acting as
both practitioner and authoriser, an authoriser whose authority has run out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.models import (
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    NotificationWithholding,
    StaffActor,
)
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.errors import InvalidInput
from famlink.core.policy import (
    INDEPENDENT_REVIEW_DAYS,
    MAX_WITHHOLDING,
    MIN_JUSTIFICATION_CHARS,
    Role,
)
from famlink.core.taxonomy import Purpose

BREAK_GLASS_LASTS = timedelta(hours=72)
CHILD_PROTECTION = Purpose.SAFEGUARDING_CHILD_PROTECTION


def _log(staff: StaffActor, subject: Person, action: AuditEvent, reason: str, justification: str, at: datetime) -> None:
    actor = staff_actor(staff)
    append(
        AuditFacts(
            actor_id=actor.id, actor_role=actor.role.value, organisation=actor.organisation,
            purpose=CHILD_PROTECTION, subject_id=subject.public_id, data_categories=(),
            action=action, decision=Verdict.ALLOW, reasons=(reason,), justification=justification,
        ),
        at=at,
    )


def check_break_glass(practitioner: StaffActor, authoriser: StaffActor, justification: str, at: datetime) -> str:
    """The justification, trimmed, if these two people may make this break-glass at ``at``; else ``InvalidInput``.

    Asked when a practitioner asks for break-glass and again when the
    authoriser approves it, so a request that could never be approved is
    refused at once, by the same checks.
    """
    text = (justification or "").strip()
    if not text:
        raise InvalidInput("break-glass needs a written justification", where="justification")
    if len(text) < MIN_JUSTIFICATION_CHARS:
        raise InvalidInput(
            f"the justification must explain the decision in at least {MIN_JUSTIFICATION_CHARS} characters",
            where="justification",
        )
    if practitioner.pk == authoriser.pk or practitioner.user_id == authoriser.user_id:
        raise InvalidInput("the authoriser must be a different person from the practitioner", where="authoriser")
    if CHILD_PROTECTION.value not in practitioner.purposes:
        raise InvalidInput(
            f"{practitioner.user.get_username()} is not authorised to act for child protection", where="practitioner"
        )
    if authoriser.authoriser_until is None:
        raise InvalidInput(f"{authoriser.user.get_username()} has no authority to approve break-glass", where="authoriser")
    if authoriser.authoriser_until <= at:
        raise InvalidInput(
            f"{authoriser.user.get_username()}'s authority to approve break-glass expired on "
            f"{authoriser.authoriser_until.isoformat()}",
            where="authoriser",
        )
    return text


def authorise_break_glass(
    subject: Person,
    practitioner: StaffActor,
    authoriser: StaffActor,
    justification: str,
    *,
    at: datetime | None = None,
    review_due: date | None = None,
    lasts: timedelta = BREAK_GLASS_LASTS,
) -> BreakGlassAuthorisation:
    """Record a two-person child-protection override, or refuse it and write nothing."""
    at = at or timezone.now()
    text = check_break_glass(practitioner, authoriser, justification, at)
    authority = authoriser.authoriser_until
    assert authority is not None  # checked just above
    latest = timezone.localdate(at) + timedelta(days=INDEPENDENT_REVIEW_DAYS)
    if review_due is not None and not timezone.localdate(at) <= review_due <= latest:
        raise InvalidInput(f"the independent review must be due within {INDEPENDENT_REVIEW_DAYS} days", where="review_due")
    if lasts <= timedelta(0) or lasts > BREAK_GLASS_LASTS:
        raise InvalidInput(f"break-glass lasts at most {BREAK_GLASS_LASTS}", where="lasts")
    with transaction.atomic():
        row = BreakGlassAuthorisation.objects.create(
            subject=subject, practitioner=practitioner, authoriser=authoriser, justification=text,
            authoriser_valid_until=authority, granted_at=at, expires_at=at + lasts,
            review_due=review_due or latest,
        )
        _log(practitioner, subject, AuditEvent.BREAK_GLASS_USED, f"authorised_by:{authoriser.user.get_username()}", text, at)
    return row


def review_break_glass(
    authorisation: BreakGlassAuthorisation, reviewer: StaffActor, outcome: BreakGlassOutcome | str, note: str,
    *, at: datetime | None = None,
) -> BreakGlassAuthorisation:
    """The independent review: by someone who neither used nor authorised it."""
    at = at or timezone.now()
    try:
        outcome = BreakGlassOutcome(outcome)
    except ValueError:
        raise InvalidInput(f"unknown review outcome '{outcome}'", where="outcome") from None
    if outcome is BreakGlassOutcome.PENDING:
        raise InvalidInput("a review must say whether the break-glass was justified", where="outcome")
    if reviewer.pk in (authorisation.practitioner_id, authorisation.authoriser_id):
        raise InvalidInput("the review must be independent of the practitioner and the authoriser", where="reviewer")
    if not (note or "").strip():
        raise InvalidInput("a review needs a note saying why", where="note")
    with transaction.atomic():
        row = BreakGlassAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if row.outcome != BreakGlassOutcome.PENDING:
            raise InvalidInput("this break-glass has already been reviewed", where="review")
        row.reviewed_by, row.reviewed_at, row.outcome, row.review_note = reviewer, at, outcome, note.strip()
        row.save()
        _log(reviewer, row.subject, AuditEvent.BREAK_GLASS_REVIEWED, f"review:{outcome.value}", note.strip(), at)
    return row


def withhold_notification(
    subject: Person, lead: StaffActor, reason: str, until: datetime, *,
    at: datetime | None = None, re_review_of: NotificationWithholding | None = None,
) -> NotificationWithholding:
    """A designated safeguarding lead decides, for at most 28 days, not to tell the parent yet."""
    at = at or timezone.now()
    if not (lead.designated_safeguarding_lead or lead.role == Role.SAFEGUARDING_LEAD):
        raise InvalidInput("only a designated safeguarding lead can withhold notification", where="decided_by")
    if not (reason or "").strip():
        raise InvalidInput("withholding notification needs a written reason", where="reason")
    if until.tzinfo is None:
        raise InvalidInput("the end date must include a time zone", where="until")
    if not at < until <= at + MAX_WITHHOLDING:
        raise InvalidInput(f"withholding must end after now and within {MAX_WITHHOLDING.days} days", where="until")
    with transaction.atomic():
        row = NotificationWithholding.objects.create(
            subject=subject, decided_by=lead, reason=reason.strip(), decided_at=at, until=until, re_review_of=re_review_of,
        )
        _log(lead, subject, AuditEvent.NOTIFICATION_WITHHELD, f"withheld_until:{until.date().isoformat()}", reason.strip(), at)
    return row


def reviews_due(now: datetime | None = None) -> list[BreakGlassAuthorisation]:
    """Break-glass authorisations still waiting for their independent review, oldest first."""
    today = timezone.localdate(now or timezone.now())
    return list(
        BreakGlassAuthorisation.objects.filter(outcome=BreakGlassOutcome.PENDING, review_due__lte=today).order_by("review_due")
    )
