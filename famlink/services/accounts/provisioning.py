"""Making accounts: by the data team from the command line, and for the demo.

There is no sign-up page. A parent's local account is made by the data team
(or arrives through GOV.UK One Login) and reaches a Person only through
``verification``: either a code the parent enters, or the data team linking
it here after checking who the parent is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from famlink.adapters.storage.accounts.access import STAFF_ROLES
from famlink.adapters.storage.accounts.models import Account, ExternalIdentity
from famlink.adapters.storage.family.models import Person, Relationship, SensitiveAddress
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.sources.models import Organisation
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.people import adult_born_by
from famlink.core.policy import PURPOSE_RULES
from famlink.core.roles import JOB_ROLES, Role, StaffJob
from famlink.core.taxonomy import Purpose, Sector
from famlink.services.accounts.verification import link_person


@dataclass(frozen=True)
class Credentials:
    role: str
    username: str
    password: str
    person_id: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class StaffCredentials(Credentials):
    """A new member of staff's sign-in, with what the policy door now knows of them."""

    organisation: str | None = None
    purposes: str = ""
    job: str | None = None
    service: str | None = None


def new_password() -> str:
    return secrets.token_urlsafe(12)


def find_person(public_id: str) -> Person:
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise NotFound(f"No person with id {public_id}.", where="--person")
    return person


def _make_user(username: str, password: str) -> User:
    users = get_user_model()
    if users.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username} is taken.", where="--username")
    try:
        validate_password(password)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), where="password") from error
    return users.objects.create_user(username=username, password=password)


@transaction.atomic
def create_parent(username: str, person: Person | None = None, *, password: str | None = None) -> Credentials:
    """A parent's account; with ``person``, linked at once because the data team has checked who they are."""
    password = password or new_password()
    user = _make_user(username, password)
    account = Account.objects.create(user=user, kind=Account.Kind.PARENT)
    if person is not None:
        if Account.objects.filter(person=person).exists():
            raise Conflict(f"{person.public_id} already has an account.", where="--person")
        link_person(account, person, method="data_team")
    return Credentials(Role.PARENT, username, password, person.public_id if person else None)


def purposes_for(role: Role | str) -> list[Purpose]:
    """Every purpose the policy lets this role use: the most a member of staff can be authorised for."""
    return [purpose for purpose, rule in PURPOSE_RULES.items() if Role(role) in rule.roles]


def authorise_staff(
    user: Any, role: Role | str, *, organisation: str | None = None, purposes: Sequence[str] | None = None,
    job: StaffJob | None = None, service: Sector | None = None,
) -> StaffActor:
    """Make or update the ``StaffActor`` the policy door reads: role, organisation, authorised purposes.

    This is where a member of staff's role is set or changed: the page guards
    read the same row, so the change reaches pages and the policy together.
    Without ``purposes`` the member of staff is authorised for every purpose
    the policy lets their role use; the policy still decides each access.
    """
    role = Role(role)
    allowed = purposes_for(role)
    chosen: list[Purpose] = []
    for name in purposes if purposes is not None else [p.value for p in allowed]:
        try:
            purpose = Purpose(name)
        except ValueError:
            known = ", ".join(p.value for p in Purpose)
            raise InvalidInput(f"{name} is not a purpose; use one of {known}.", where="--purpose") from None
        if purpose not in allowed:
            raise InvalidInput(f"The policy does not let a {role.value} use the purpose {purpose.value}.", where="--purpose")
        if purpose not in chosen:
            chosen.append(purpose)
    org = None
    if organisation:
        org = Organisation.objects.filter(name=organisation).first()
        if org is None:
            raise NotFound(
                f"No organisation called {organisation}; organisations come from the registered sources.",
                where="--organisation",
            )
    staff, _ = StaffActor.objects.update_or_create(
        user=user,
        defaults={
            "role": role.value,
            "job": job.value if job else "",
            "organisation": org,
            "sector": service.value if service else (org.sector if org else ""),
            "purposes": [p.value for p in chosen],
        },
    )
    return staff


def job_and_role(job: str | None, role: str | None) -> tuple[StaffJob | None, Role]:
    """The job and the policy role it acts in: from ``--job`` (the role follows), or ``--role`` alone as before."""
    if job:
        try:
            found = StaffJob(job)
        except ValueError:
            raise InvalidInput(f"{job} is not a staff job; use one of {', '.join(StaffJob)}.", where="--job") from None
        if role and role != JOB_ROLES[found].value:
            raise InvalidInput(f"A {found.value} acts as a {JOB_ROLES[found].value}, not a {role}; leave out --role.",
                               where="--role")
        return found, JOB_ROLES[found]
    if not role:
        raise InvalidInput(f"Say what they do with --job ({', '.join(StaffJob)}).", where="--job")
    if role not in {r.value for r in STAFF_ROLES}:
        raise InvalidInput(f"{role} is not a staff role; use one of {', '.join(STAFF_ROLES)}.", where="--role")
    return None, Role(role)


def _service(job: StaffJob | None, organisation: str | None, service: str | None) -> Sector | None:
    """A practitioner works for an organisation, in a service: both are needed for the policy's "within one service"."""
    chosen = None
    if service:
        try:
            chosen = Sector(service)
        except ValueError:
            raise InvalidInput(f"{service} is not a service; use one of {', '.join(Sector)}.", where="--service") from None
    if job is not None and JOB_ROLES[job] is Role.PRACTITIONER and not (organisation and chosen):
        raise InvalidInput(f"A {job.value} needs --organisation and --service (the service they work in).",
                           where="--organisation" if not organisation else "--service")
    return chosen


@transaction.atomic
def create_staff(
    username: str,
    role: str | None = None,
    *,
    job: str | None = None,
    password: str | None = None,
    organisation: str | None = None,
    service: str | None = None,
    purposes: Sequence[str] | None = None,
    identity: tuple[str, str] | None = None,
) -> StaffCredentials:
    """A member of staff's account and their ``StaffActor``; they set up their second factor when they first sign in.

    ``job`` says what they do and gives the role; ``role`` alone still works.
    ``identity`` (issuer, subject) links their council sign-in at once.
    """
    found_job, found_role = job_and_role(job, role)
    sector = _service(found_job, organisation, service)
    password = password or new_password()
    user = _make_user(username, password)
    account = Account.objects.create(user=user, kind=Account.Kind.STAFF)
    staff = authorise_staff(user, found_role, organisation=organisation, purposes=purposes, job=found_job, service=sector)
    if identity is not None:
        _link(account, *identity)
    return StaffCredentials(found_role.value, username, password, None,
                            organisation=staff.organisation.name if staff.organisation else None,
                            purposes=" ".join(staff.purposes), job=staff.job or None, service=staff.sector or None)


def _link(account: Account, issuer: str, subject: str) -> ExternalIdentity:
    issuer, subject = issuer.strip(), subject.strip()
    if not issuer or not subject or "\x00" in issuer + subject:
        raise InvalidInput("Give the council sign-in's issuer and subject.", where="--issuer")
    held = ExternalIdentity.objects.filter(issuer=issuer, subject=subject).select_related("account__user").first()
    if held is not None:
        if held.account_id == account.pk:
            return held
        raise Conflict(f"That sign-in is already linked to {held.account.user.username}.", where="--subject")
    return ExternalIdentity.objects.create(account=account, issuer=issuer, subject=subject)


@transaction.atomic
def link_identity(username: str, issuer: str, subject: str) -> ExternalIdentity:
    """Let a member of staff sign in through the council's provider as (issuer, subject): the data team's decision.

    A council sign-in reaches no account by itself (never by e-mail, never
    made on the fly): only through a link made here.
    """
    account = Account.objects.filter(user__username=username, kind=Account.Kind.STAFF).first() if "\x00" not in username else None
    if account is None:
        raise NotFound(f"No staff account called {username}.", where="--username")
    return _link(account, issuer, subject)


def _children_of(person: Person) -> set[int]:
    return set(Relationship.objects.filter(kind=Relationship.Kind.PARENT_OF, from_person=person)
               .values_list("to_person_id", flat=True))


def demo_parent_candidates(count: int = 2, *, prefer_children: set[int] | None = None,
                           taken: Sequence[Person] = ()) -> list[Person]:
    """Adults with parental responsibility for a child, each from a different family.

    Parents of ``prefer_children`` (person pks) come first: the demo prefers
    families whose records show the problems parents told us about. Families
    of ``taken`` (parents given another demo sign-in) are left out.
    """
    chosen: list[Person] = []
    seen_children: set[int] = set().union(*(_children_of(p) for p in taken))
    ties = list(Relationship.objects.filter(kind=Relationship.Kind.PARENT_OF, parental_responsibility=True)
                .select_related("from_person", "to_person").order_by("from_person__public_id"))
    preferred = prefer_children or set()
    last_adult_birthday = adult_born_by(timezone.localdate())

    def child_is_minor(tie: Relationship) -> bool:  # a parent sees a child's records only under 18
        born = tie.to_person.date_of_birth
        return born is not None and born > last_adult_birthday

    ties.sort(key=lambda tie: (not child_is_minor(tie), tie.to_person_id not in preferred))
    for tie in ties:
        children = _children_of(tie.from_person)
        if children & seen_children or Account.objects.filter(person=tie.from_person).exists():
            continue
        chosen.append(tie.from_person)
        seen_children |= children
        if len(chosen) == count:
            break
    return chosen


def demo_refuge_parents() -> tuple[Person, Person] | None:
    """A mother who lived in a refuge with a child under 18, and that child's father who did not.

    Both hold parental responsibility and neither has a sign-in yet, so the
    demo can show both sides: she sees the refuge in her child's addresses,
    he sees the child's records without it. None when linkage found no such
    family (a very small demo).
    """
    current = Q(to_date__isnull=True) | Q(to_date__gte=timezone.localdate())
    for refuge in SensitiveAddress.objects.order_by("from_date", "pk"):
        protected = {p.pk: p for p in refuge.protects.all()}
        children = Person.objects.filter(pk__in=protected, date_of_birth__gt=adult_born_by(timezone.localdate())).order_by("public_id")
        for child in children:
            ties = (Relationship.objects.filter(current, to_person=child, kind=Relationship.Kind.PARENT_OF,
                                                parental_responsibility=True)
                    .select_related("from_person").order_by("from_person__public_id"))
            parents = [t.from_person for t in ties if not Account.objects.filter(person=t.from_person).exists()]
            inside = [p for p in parents if p.pk in protected]
            outside = [p for p in parents if p.pk not in protected]
            if inside and outside:
                return inside[0], outside[0]
    return None


def _demo_password(username: str) -> str:
    """Stable for this installation (so re-running the demo changes nothing), secret outside it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo:{username}".encode(), hashlib.sha256).hexdigest()
    return f"demo-{digest[:16]}"


def _demo_totp_secret(username: str) -> str:
    """A demo member of staff's authenticator secret: stable like the password, so a browser test can make codes."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-totp:{username}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


@dataclass(frozen=True)
class DemoStaff:
    username: str
    job: StaffJob
    service: Sector | None = None  # practitioners: the service they work in, and an organisation of it


#: One member of staff for each job, in services the demo's sources come from.
DEMO_STAFF = (
    DemoStaff("earlyhelp", StaffJob.EARLY_HELP_WORKER, Sector.CHILDRENS_SOCIAL_CARE),
    DemoStaff("socialworker", StaffJob.SOCIAL_WORKER, Sector.CHILDRENS_SOCIAL_CARE),
    DemoStaff("healthvisitor", StaffJob.HEALTH_VISITOR, Sector.HEALTH),
    DemoStaff("schoollead", StaffJob.SCHOOL_SAFEGUARDING_LEAD, Sector.EDUCATION),
    DemoStaff("dsl", StaffJob.DESIGNATED_SAFEGUARDING_LEAD, Sector.CHILDRENS_SOCIAL_CARE),
    DemoStaff("datateam", StaffJob.DATA_TEAM),
    DemoStaff("dpo", StaffJob.DPO),
    DemoStaff("reviewer", StaffJob.INDEPENDENT_REVIEWER),
    DemoStaff("auditor", StaffJob.AUDITOR),
)
#: How long the demo's designated safeguarding lead may approve child-protection access.
AUTHORISER_FOR = timedelta(days=365)


def _demo_organisation(service: Sector | None) -> str | None:
    """An organisation of this service among the registered sources' (the demo's own), or any if none is."""
    if service is None:
        return None
    orgs = Organisation.objects.order_by("name")
    found = orgs.filter(sector=service.value).first() or orgs.first()
    if found is None:
        raise InvalidInput("The demo's staff work for the organisations of its sources: ingest an extract first.")
    return found.name


@transaction.atomic
def demo_accounts(parents: Sequence[Person], usernames: Sequence[str] = ()) -> list[dict[str, str | None]]:
    """Demo sign-ins: one parent account per Person given, and one member of staff of each job. Idempotent.

    Parents are signed in as ``usernames`` (by default parent1, parent2, ...).
    Staff get a confirmed authenticator secret (``totp_secret``), stable like
    their password, so the demo (and a browser test) can sign in with a code.
    Each is authorised for the purposes the policy gives their role; the
    designated safeguarding lead may also approve child-protection access for a year.
    """
    users = get_user_model()
    names = list(usernames) or [f"parent{i}" for i in range(1, len(parents) + 1)]
    if len(names) != len(parents):
        raise InvalidInput("give one username for each demo parent", where="usernames")
    out: list[dict[str, str | None]] = []
    for username, person in zip(names, parents, strict=True):
        password = _demo_password(username)
        user = users.objects.filter(username=username).first()
        if user is None:
            create_parent(username, person, password=password)
        else:
            _renew_demo_account(user, password, person)
        out.append({**Credentials(Role.PARENT, username, password, person.public_id).as_dict(), "totp_secret": None})
    for member in DEMO_STAFF:
        password, secret = _demo_password(member.username), _demo_totp_secret(member.username)
        organisation = _demo_organisation(member.service)
        user = users.objects.filter(username=member.username).first()
        if user is None:
            create_staff(member.username, job=member.job.value, password=password, organisation=organisation,
                         service=member.service.value if member.service else None)
            user = users.objects.get(username=member.username)
        else:
            _renew_demo_account(user, password, None)
            authorise_staff(user, member.job.role, organisation=organisation, job=member.job, service=member.service)
        _demo_staff_extras(user, member, secret)
        out.append({**Credentials(member.job.value, member.username, password, None).as_dict(), "totp_secret": secret})
    return out


def _demo_staff_extras(user: User, member: DemoStaff, secret: str) -> None:
    """The authenticator already set up, and the designated safeguarding lead's standing to approve."""
    Account.objects.filter(user=user).update(totp_secret=secret,
                                             totp_confirmed_at=Coalesce(F("totp_confirmed_at"), Now()))
    if member.job is StaffJob.DESIGNATED_SAFEGUARDING_LEAD:
        StaffActor.objects.filter(user=user).update(designated_safeguarding_lead=True,
                                                    authoriser_until=timezone.now() + AUTHORISER_FOR)


def _renew_demo_account(user: User, password: str, person: Person | None) -> None:
    """A demo account made before: its password again, and never someone else's person."""
    user.set_password(password)
    user.save(update_fields=["password"])
    account = Account.objects.get(user=user)
    if person is not None and account.person_id != person.pk:
        raise Conflict(f"The demo account {user.username} is linked to someone else; reset the demo data.")
