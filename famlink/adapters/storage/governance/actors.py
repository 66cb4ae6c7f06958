"""Who is asking: a signed-in account turned into the policy's ``Actor``.

Staff come from ``StaffActor`` (role, organisation, authorised purposes;
the page guards take a member of staff's role from here too);
parents from the accounts app's verified ``Account.person`` (an account
reaches a ``Person`` only through verification); anyone else is the public,
who the policy never lets see personal data.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from famlink.adapters.storage.governance.models import StaffActor
from famlink.core.policy import Actor, Role
from famlink.core.taxonomy import Purpose, Sector

PUBLIC = Actor(id="public", role=Role.PUBLIC)


def staff_actor(staff: StaffActor) -> Actor:
    role = Role(staff.role)
    return Actor(
        id=staff.user.get_username(),
        role=role,
        organisation=staff.organisation.name if staff.organisation is not None else "",
        purposes=frozenset(Purpose(p) for p in staff.purposes),
        sector=Sector(staff.sector) if staff.sector else None,
    )


def actor_for(user: Any) -> Actor:
    """The ``Actor`` for a Django user (anonymous or unknown accounts are the public)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    staff = StaffActor.objects.select_related("organisation", "user").filter(user=user).first()
    if staff is not None:
        return staff_actor(staff)
    person_id = verified_person_id(user)
    if person_id is not None:
        return Actor(id=user.get_username(), role=Role.PARENT, person_id=person_id)
    return Actor(id=user.get_username(), role=Role.PUBLIC)


def verified_person_id(user: Any) -> str | None:
    """The ``Person`` a parent's account was verified as (accounts app), if any."""
    try:
        account = user.famlink_account
    except ObjectDoesNotExist:
        return None
    except AttributeError:  # the accounts app is not installed
        return None
    if getattr(account, "kind", None) != "parent" or account.verified_at is None or account.person_id is None:
        return None
    return str(account.person.public_id)
