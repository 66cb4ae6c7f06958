"""Making accounts: by the data team from the command line, and for the demo.

There is no sign-up page. A parent's local account is made by the data team
(or arrives through GOV.UK One Login) and reaches a Person only through
``verification``: either a code the parent enters, or the data team linking
it here after checking who the parent is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.accounts.access import STAFF_ROLES
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.family.models import Person, Relationship, SensitiveAddress
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.sources.models import Organisation
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.people import adult_born_by
from famlink.core.policy import PURPOSE_RULES
from famlink.core.roles import Role
from famlink.core.taxonomy import Purpose
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
    user: Any, role: Role | str, *, organisation: str | None = None, purposes: Sequence[str] | None = None
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
            "organisation": org,
            "sector": org.sector if org else "",
            "purposes": [p.value for p in chosen],
        },
    )
    return staff


@transaction.atomic
def create_staff(
    username: str,
    role: str,
    *,
    password: str | None = None,
    organisation: str | None = None,
    purposes: Sequence[str] | None = None,
) -> StaffCredentials:
    """A member of staff's account and their ``StaffActor``; they set up their second factor when they first sign in."""
    if role not in {r.value for r in STAFF_ROLES}:
        raise InvalidInput(f"{role} is not a staff role; use one of {', '.join(STAFF_ROLES)}.", where="--role")
    password = password or new_password()
    user = _make_user(username, password)
    Account.objects.create(user=user, kind=Account.Kind.STAFF)
    staff = authorise_staff(user, role, organisation=organisation, purposes=purposes)
    return StaffCredentials(role, username, password, None, organisation=staff.organisation.name if staff.organisation else None,
                            purposes=" ".join(staff.purposes))


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


@transaction.atomic
def demo_accounts(parents: Sequence[Person], usernames: Sequence[str] = ()) -> list[dict[str, str | None]]:
    """Demo sign-ins: one parent account per Person given, and one data-team member. Idempotent.

    Parents are signed in as ``usernames`` (by default parent1, parent2, ...).

    The data-team member is a records officer: role ``data_team``, authorised
    for the purposes the policy gives that role (subject access, linkage,
    planning and research), so they can answer a parent's request through the door.
    """
    users = get_user_model()
    names = list(usernames) or [f"parent{i}" for i in range(1, len(parents) + 1)]
    if len(names) != len(parents):
        raise InvalidInput("give one username for each demo parent", where="usernames")
    wanted: list[tuple[str, Role, Person | None]] = [
        (name, Role.PARENT, person) for name, person in zip(names, parents, strict=True)
    ]
    wanted.append(("datateam", Role.DATA_TEAM, None))
    out: list[dict[str, str | None]] = []
    for username, role, person in wanted:
        password = _demo_password(username)
        user = users.objects.filter(username=username).first()
        if user is None:
            if role == Role.PARENT:
                create_parent(username, person, password=password)
            else:
                create_staff(username, role, password=password)
        else:
            _renew_demo_account(user, password, role, person)
        out.append(Credentials(role, username, password, person.public_id if person else None).as_dict())
    return out


def _renew_demo_account(user: User, password: str, role: Role, person: Person | None) -> None:
    """A demo account made before: its password again, and its staff authority mended if it predates it."""
    user.set_password(password)
    user.save(update_fields=["password"])
    account = Account.objects.get(user=user)
    if person is not None and account.person_id != person.pk:
        raise Conflict(f"The demo account {user.username} is linked to someone else; reset the demo data.")
    if role != Role.PARENT:
        authorise_staff(user, role)  # also mends a demo made before staff were authorised here
