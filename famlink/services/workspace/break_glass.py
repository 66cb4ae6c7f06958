"""Child-protection access as people ask for it: a practitioner's request, the named
authoriser's decision, the family told, the independent review.

The checks on a break-glass are those of ``governance.safeguarding`` (asked
when the practitioner asks and again when the authoriser approves); the
policy checks the authorisation again at every use. What this module adds is
the people around it: only the named authoriser decides, the independent
reviewer sees who asked, who agreed and what was looked at (never the
records), and the family is told when the policy's ``notify_subject``
obligation says so: at once, or when a safeguarding lead's withholding ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.audit.append import append
from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    BreakGlassRequest,
    NotificationWithholding,
    StaffActor,
)
from famlink.adapters.storage.rights.models import Message
from famlink.adapters.storage.workspace.models import Alert
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.people import is_adult
from famlink.core.policy import ObligationKind, ReasonCode, Role, break_glass_notice
from famlink.core.roles import StaffJob
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.safeguarding import (
    CHILD_PROTECTION,
    authorise_break_glass,
    check_break_glass,
    review_break_glass,
    withhold_notification,
)
from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.reading import person_by_id

#: Who the audit log says told the family: the system, acting on the policy's obligation.
NOTICES = "famlink-notices"
CASE_REFERENCE_CHARS = 60
State = BreakGlassRequest.State




def _staff(user: Any) -> StaffActor:
    found = StaffActor.objects.select_related("user", "organisation").filter(user=user).first()
    if found is None:
        raise NotFound("no such member of staff")
    return found


def _log(staff: StaffActor | None, subject: Person, action: AuditEvent, reasons: tuple[str, ...],
         justification: str, at: datetime) -> None:
    if staff is None:
        actor_id, role, organisation = NOTICES, Role.SYSTEM.value, ""
    else:
        actor = staff_actor(staff)
        actor_id, role, organisation = actor.id, actor.role.value, actor.organisation
    append(AuditFacts(actor_id=actor_id, actor_role=role, organisation=organisation, purpose=CHILD_PROTECTION,
                      subject_id=subject.public_id, data_categories=(), action=action, decision=Verdict.ALLOW,
                      reasons=reasons, justification=justification), at=at)


# --- asking -------------------------------------------------------------------------------------

def authorisers(user: Any, at: datetime | None = None) -> list[StaffActor]:
    """Who the signed-in member of staff may name: anyone else whose authority runs past now."""
    at = at or timezone.now()
    return list(StaffActor.objects.filter(authoriser_until__gt=at).exclude(user=user)
                .select_related("user", "organisation").order_by("user__username"))




@dataclass(frozen=True)
class Asking:
    """What the request form needs: whose access is asked for (by id only), and who may authorise."""

    person_id: str
    authorisers: tuple[StaffActor, ...]


def asking(user: Any, person_id: str, at: datetime | None = None) -> Asking:
    return Asking(person_by_id(person_id).public_id, tuple(authorisers(user, at)))


def ask(user: Any, person_id: str, authoriser_id: str, justification: str, case_reference: str,
        *, at: datetime | None = None) -> BreakGlassRequest:
    """A practitioner asks a named authoriser for child-protection access to one person."""
    at = at or timezone.now()
    practitioner = _staff(user)
    subject = person_by_id(person_id)
    chosen = next((s for s in authorisers(user, at) if str(s.pk) == str(authoriser_id).strip()), None)
    if chosen is None:
        raise InvalidInput("choose an authoriser from the list", where="authoriser")
    reference = (case_reference or "").strip()
    if not reference:
        raise InvalidInput("enter the case reference", where="case_reference")
    if len(reference) > CASE_REFERENCE_CHARS:
        raise InvalidInput(f"the case reference must be {CASE_REFERENCE_CHARS} characters or fewer",
                           where="case_reference")
    text = check_break_glass(practitioner, chosen, justification, at)
    with transaction.atomic():
        row = BreakGlassRequest.objects.create(subject=subject, practitioner=practitioner, authoriser=chosen,
                                               justification=text, case_reference=reference, requested_at=at)
        _log(practitioner, subject, AuditEvent.BREAK_GLASS_REQUESTED,
             (f"request:{row.pk}", f"authoriser:{chosen.user.get_username()}"), text, at)
    raise_alert(subject, Alert.Kind.BREAK_GLASS, f"Child-protection access asked for ({reference})",
                by=staff_actor(practitioner))
    return row


def my_requests(user: Any) -> list[BreakGlassRequest]:
    return list(BreakGlassRequest.objects.filter(practitioner__user=user)
                .select_related("subject", "authoriser__user", "authorisation").order_by("-requested_at"))


def to_decide(user: Any) -> list[BreakGlassRequest]:
    """The named authoriser's requests: waiting ones first, oldest first, then those decided."""
    rows = (BreakGlassRequest.objects.filter(authoriser__user=user)
            .select_related("subject", "practitioner__user", "practitioner__organisation"))
    return sorted(rows, key=lambda r: (r.state != State.PENDING, r.requested_at if r.state == State.PENDING
                                       else -r.requested_at.timestamp()))


def _visible_requests(user: Any) -> QuerySet[BreakGlassRequest]:
    """The requests someone may open: their own, those naming them, and, for a designated
    safeguarding lead, those of practitioners in their organisation."""
    me = StaffActor.objects.filter(user=user).first()
    if me is None:
        return BreakGlassRequest.objects.none()
    mine = Q(practitioner=me) | Q(authoriser=me)
    if me.designated_safeguarding_lead and me.organisation_id is not None:
        mine |= Q(practitioner__organisation_id=me.organisation_id)
    return BreakGlassRequest.objects.filter(mine)


@dataclass(frozen=True)
class RequestView:
    request: BreakGlassRequest
    can_decide: bool
    can_withhold: bool
    withholding: NotificationWithholding | None


def request_for(user: Any, number: int) -> RequestView:
    """One request, for the practitioner who asked, the authoriser it names, or their lead; anyone else: NotFound."""
    row = (_visible_requests(user).filter(pk=number)
           .select_related("subject", "practitioner__user", "authoriser__user", "authorisation").first())
    if row is None:
        raise NotFound("no such request")
    me = _staff(user)
    now = timezone.now()
    held = (NotificationWithholding.objects.filter(subject=row.subject, decided_at__lte=now, until__gt=now)
            .order_by("-decided_at").first())
    lead = me.designated_safeguarding_lead or me.role == Role.SAFEGUARDING_LEAD
    return RequestView(row, can_decide=row.authoriser_id == me.pk and row.state == State.PENDING,
                       can_withhold=lead and me.pk != row.practitioner_id, withholding=held)


# --- deciding -----------------------------------------------------------------------------------

def _pending_for_authoriser(user: Any, number: int) -> BreakGlassRequest:
    row = BreakGlassRequest.objects.select_for_update(of=("self",)).filter(pk=number, authoriser__user=user).first()
    if row is None:
        raise NotFound("no such request")
    if row.state != State.PENDING:
        raise Conflict(f"this request was already {State(row.state).label}")
    return row


def approve(user: Any, number: int, note: str = "", *, at: datetime | None = None) -> BreakGlassAuthorisation:
    """The named authoriser agrees: the authorisation is made, and the family told if nothing withholds it."""
    at = at or timezone.now()
    with transaction.atomic():
        row = _pending_for_authoriser(user, number)
        authorisation = authorise_break_glass(row.subject, row.practitioner, row.authoriser, row.justification, at=at)
        row.state, row.decided_at, row.decision_note, row.authorisation = State.APPROVED, at, note.strip(), authorisation
        row.save()
    tell_family(authorisation, at=at)
    raise_alert(row.subject, Alert.Kind.BREAK_GLASS, f"Child-protection access approved ({row.case_reference})",
                by=staff_actor(row.authoriser))
    return authorisation


def refuse(user: Any, number: int, reason: str, *, at: datetime | None = None) -> BreakGlassRequest:
    """The named authoriser says no, and why: the practitioner gets no access."""
    at = at or timezone.now()
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("say why you are refusing", where="reason")
    with transaction.atomic():
        row = _pending_for_authoriser(user, number)
        row.state, row.decided_at, row.decision_note = State.REFUSED, at, text
        row.save()
        _log(row.authoriser, row.subject, AuditEvent.BREAK_GLASS_REFUSED, (f"request:{row.pk}",), text, at)
    return row


def withhold(user: Any, number: int, reason: str, until: datetime, *,
             at: datetime | None = None) -> NotificationWithholding:
    """A designated safeguarding lead holds back telling the family, for at most 28 days, with a reason."""
    view = request_for(user, number)
    if not view.can_withhold:
        raise InvalidInput("only a designated safeguarding lead who did not ask can withhold notification",
                           where="decided_by")
    return withhold_notification(view.request.subject, _staff(user), reason, until, at=at)


# --- telling the family -------------------------------------------------------------------------

def _family_accounts(person: Person, at: datetime) -> list[Account]:
    """The person's own verified account, and those of parents with parental responsibility for a child."""
    today = timezone.localdate(at)
    people = Q(person=person)
    if not is_adult(person.date_of_birth, today):
        current = Q(to_date__isnull=True) | Q(to_date__gte=today)
        parents = Relationship.objects.filter(current, to_person=person, kind=Relationship.Kind.PARENT_OF,
                                              parental_responsibility=True).values("from_person")
        people |= Q(person__in=parents)
    return list(Account.objects.filter(people, kind=Account.Kind.PARENT, verified_at__isnull=False)
                .select_related("user", "person"))


def _who(staff: StaffActor) -> str:
    name = staff.user.get_full_name() or staff.user.get_username()
    job = StaffJob(staff.job).value.replace("_", " ") if staff.job else ""
    where = staff.organisation.name if staff.organisation is not None else "the council"
    return f"{name} ({'a ' + job + ', ' if job else ''}{where})"


def notice_words(authorisation: BreakGlassAuthorisation, account: Account) -> tuple[str, str]:
    """The message to one family account: who looked, why in their words, when, how to complain."""
    own = account.person_id == authorisation.subject_id
    whose = "your records" if own else f"the records of {authorisation.subject.display_name or 'your child'}"
    when = timezone.localtime(authorisation.granted_at).strftime("%-d %B %Y at %H:%M")
    subject = "Someone looked at your records to keep a child safe" if own else \
        "Someone looked at your child's records to keep them safe"
    body = (
        f"{_who(authorisation.practitioner)} was allowed to look at {whose} on {when}.\n\n"
        "They asked because they were worried about a child's safety. "
        "The law allows this without asking you first. "
        f"A senior colleague, {_who(authorisation.authoriser)}, agreed to it.\n\n"
        f"Why they asked, in their own words: \"{authorisation.justification}\"\n\n"
        "Someone who was not involved will check that it was right. "
        "You can see each time someone looks at your family's records "
        "on the page \"Who has looked at your records\".\n\n"
        "Not happy about this? Tell us through your family portal. "
        "You can also complain to the Information Commissioner's Office (ICO): "
        "ico.org.uk/make-a-complaint or 0303 123 1113."
    )
    return subject, body


def _email(subject: str, body: str, to: str) -> Callable[[], None]:
    def send() -> None:
        send_mail(subject, f"{body}\n\nSign in to your family portal to see it.", None, [to], fail_silently=True)
    return send


def tell_family(authorisation: BreakGlassAuthorisation, *, at: datetime | None = None) -> int:
    """Act on the policy's ``notify_subject`` obligation for one break-glass: a portal message (and an
    email where the account has one) to each family account, once. Returns how many accounts were told:
    0 if already told, if a safeguarding lead's withholding still holds, or if nobody in the family has
    an account yet (then the next ``notify_due`` tries again, so a parent who signs up later is told)."""
    at = at or timezone.now()
    with transaction.atomic():
        row = (BreakGlassAuthorisation.objects.select_for_update(of=("self",))
               .select_related("subject", "practitioner__user", "practitioner__organisation",
                               "authoriser__user", "authoriser__organisation").get(pk=authorisation.pk))
        if row.parent_told_at is not None:
            return 0
        context = door.context_for(row.subject, (), at, None)
        if break_glass_notice(staff_actor(row.practitioner), context).kind is not ObligationKind.NOTIFY_SUBJECT:
            return 0
        accounts = _family_accounts(row.subject, at)
        if not accounts:
            return 0
        emails: list[tuple[str, str, str]] = []
        for account in accounts:
            subject, body = notice_words(row, account)
            Message.objects.create(to=account.user, subject=subject, body=body, sent_at=at)
            if account.user.email:
                emails.append((subject, body, account.user.email))
        row.parent_told_at = at
        row.save(update_fields=["parent_told_at"])
        _log(None, row.subject, AuditEvent.NOTIFICATION_SENT,
             (ReasonCode.BREAK_GLASS_ACCEPTED.value, f"authorisation:{row.pk}", f"accounts_told:{len(accounts)}"),
             "", at)
        for subject, body, email in emails:
            transaction.on_commit(_email(subject, body, email))
    return len(accounts)


def notify_due(*, at: datetime | None = None) -> list[int]:
    """Tell the families of every break-glass not yet told whose withholding has ended (the scheduler runs
    this; running it twice tells nobody twice). Returns the authorisations acted on."""
    at = at or timezone.now()
    told = []
    for number in (BreakGlassAuthorisation.objects.filter(parent_told_at__isnull=True, granted_at__lte=at)
                   .order_by("granted_at").values_list("pk", flat=True)):
        if tell_family(BreakGlassAuthorisation(pk=number), at=at):
            told.append(number)
    return told


# --- the independent review ---------------------------------------------------------------------

def review_queue(user: Any) -> list[BreakGlassAuthorisation]:
    """Break-glass waiting for review, soonest due first; never one the reviewer took part in."""
    me = _staff(user)
    return list(BreakGlassAuthorisation.objects.filter(outcome=BreakGlassOutcome.PENDING)
                .exclude(practitioner=me).exclude(authoriser=me)
                .select_related("subject", "practitioner__user", "authoriser__user")
                .order_by("review_due", "granted_at"))


@dataclass(frozen=True)
class AccessUnder:
    """One use of a break-glass, from the audit log: when, what was done, which kinds of data."""

    index: int
    when: datetime
    action: AuditEvent
    purpose: Purpose | None
    categories: tuple[DataCategory, ...]
    allowed: bool


@dataclass(frozen=True)
class ReviewView:
    authorisation: BreakGlassAuthorisation
    request: BreakGlassRequest | None
    accesses: tuple[AccessUnder, ...]


def _accesses_under(row: BreakGlassAuthorisation) -> tuple[AccessUnder, ...]:
    """The audit entries the practitioner made under this break-glass (its justification, accepted)."""
    sequence_pending()
    entries = AuditLogEntry.objects.filter(
        subject_id=row.subject.public_id, actor_id=row.practitioner.user.get_username(),
        occurred_at__gte=row.granted_at, occurred_at__lte=row.expires_at).order_by("index")
    found = []
    for entry in entries:
        facts = json.loads(bytes(entry.entry_bytes))
        if ReasonCode.BREAK_GLASS_ACCEPTED.value in facts.get("reasons", ()) and \
                facts.get("justification") == row.justification:
            found.append(AccessUnder(entry.index, entry.occurred_at, AuditEvent(entry.action),
                                     Purpose(entry.purpose) if entry.purpose else None,
                                     tuple(DataCategory(c) for c in facts.get("data_categories", ())),
                                     entry.decision == Verdict.ALLOW.value))
    return tuple(found)


def for_review(user: Any, number: int) -> ReviewView:
    """What the reviewer weighs: the justification, who asked and agreed, when, what was looked at."""
    me = _staff(user)
    row = (BreakGlassAuthorisation.objects.filter(pk=number).exclude(practitioner=me).exclude(authoriser=me)
           .select_related("subject", "practitioner__user", "authoriser__user", "reviewed_by__user").first())
    if row is None:
        raise NotFound("no such break-glass")
    request = BreakGlassRequest.objects.filter(authorisation=row).first()
    return ReviewView(row, request, _accesses_under(row))


def review(user: Any, number: int, outcome: str, note: str, *, at: datetime | None = None) -> BreakGlassAuthorisation:
    """The independent reviewer says whether the break-glass was justified, and why."""
    view = for_review(user, number)
    return review_break_glass(view.authorisation, _staff(user), outcome, note, at=at)
