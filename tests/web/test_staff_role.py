"""A member of staff has one role: changing it reaches the page guards and the policy door together."""

from __future__ import annotations

import pytest

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.errors import AccessDenied
from famlink.core.policy import Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.accounts.provisioning import authorise_staff, create_staff
from famlink.services.governance import door
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import PASSWORD, sign_in_as

pytestmark = pytest.mark.django_db


def planning_read(account: Account) -> bool:
    """Ask the door for a service-planning read (the policy lets only the data team use that purpose)."""
    child = builders.family("Role").child
    try:
        with door.open(actor_for(account.user), Purpose.SERVICE_PLANNING, child, (DataCategory.HEALTH,),
                       sources=[a.record.source for a in child.assignments.select_related("record__source")],
                       cannot_meet=frozenset()):
            return True
    except AccessDenied:
        return False


def test_a_role_change_is_seen_by_the_page_guard_and_the_policy(client: CheckingClient) -> None:
    create_staff("sam", Role.PRACTITIONER.value, password=PASSWORD)
    account = Account.objects.get(user__username="sam")
    sign_in_as(client, account)
    assert client.get("/team/requests/").status_code == 403  # the data team's queue
    assert not planning_read(account)
    assert AuditLogEntry.objects.order_by("-index").first().actor_role == Role.PRACTITIONER

    authorise_staff(account.user, Role.DATA_TEAM)

    assert client.get("/team/requests/").status_code == 200
    assert planning_read(account)
    assert AuditLogEntry.objects.order_by("-index").first().actor_role == Role.DATA_TEAM


def test_a_staff_account_nobody_authorised_opens_no_staff_page(client: CheckingClient) -> None:
    """Without a ``StaffActor`` the policy sees the public, and so do the pages."""
    create_staff("kim", Role.DATA_TEAM.value, password=PASSWORD)
    account = Account.objects.get(user__username="kim")
    account.user.staff_actor.delete()
    sign_in_as(client, account)
    assert actor_for(account.user).role is Role.PUBLIC
    assert client.get("/team/requests/").status_code == 403
