"""Who is signed in: the small API the rest of famlink asks.

``current_person(request)`` is the only way a page learns which Person a
parent is; ``staff_role(request)`` the only way it learns a member of staff's
role. Both answer ``None`` rather than guess. The role is the one the policy
door uses (``actor_for``, from ``StaffActor``): a page and the policy read
one role, so a change of role reaches both at once.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

from famlink.adapters.storage.accounts.errors import NotAllowed, NotSignedIn
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.actors import actor_for
from famlink.core.roles import Role

STAFF_ROLES: tuple[Role, ...] = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD, Role.DATA_TEAM, Role.DPO, Role.AUDITOR,
                                 Role.INDEPENDENT_REVIEWER)


def account_of(user: User | AnonymousUser | None) -> Account | None:
    if user is None or not user.is_authenticated:
        return None
    return Account.objects.select_related("person").filter(user=user).first()


def current_account(request: HttpRequest) -> Account | None:
    """The signed-in account, cached on the request."""
    if not hasattr(request, "_famlink_account"):
        request._famlink_account = account_of(getattr(request, "user", None))  # type: ignore[attr-defined]
    return request._famlink_account  # type: ignore[attr-defined,no-any-return]


def current_person(request: HttpRequest) -> Person | None:
    """The Person a signed-in parent has proved to be, or None (not a parent, or not verified yet)."""
    account = current_account(request)
    if account is None or account.kind != Account.Kind.PARENT:
        return None
    return account.person


def staff_role(request: HttpRequest) -> Role | None:
    """The signed-in member of staff's role, only if they passed their second factor this session.

    The role the policy door would decide with; a staff account the data team
    has not authorised (no ``StaffActor``) has no staff role.
    """
    account = current_account(request)
    if account is None or account.kind != Account.Kind.STAFF or not request.session.get(SECOND_FACTOR_KEY):
        return None
    role = actor_for(account.user).role
    return role if role in STAFF_ROLES else None


def require_parent(request: HttpRequest) -> Account:
    account = current_account(request)
    if account is None:
        raise NotSignedIn("Sign in to see this page.")
    if account.kind != Account.Kind.PARENT:
        raise NotAllowed("This page is for parents. Staff pages are under /team/.")
    return account


def require_staff(request: HttpRequest, roles: tuple[Role, ...] = STAFF_ROLES) -> Role:
    if current_account(request) is None:
        raise NotSignedIn("Sign in to see this page.")
    role = staff_role(request)
    if role is None or role not in roles:
        raise NotAllowed("You do not have access to this page.")
    return role
