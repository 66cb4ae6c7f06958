"""Lock-out windows, security codes, account making, the demo accounts and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from click.testing import CliRunner
from django.utils import timezone

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import TooManyAttempts
from famlink.adapters.storage.accounts.models import AccessAttempt, Account
from famlink.adapters.storage.accounts.second_factor import matching_step
from famlink.adapters.storage.family.models import Person
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.services.accounts.provisioning import (
    create_parent,
    create_staff,
    demo_accounts,
)

pytestmark = pytest.mark.django_db
KIND = AccessAttempt.Kind.PASSWORD


def test_a_success_clears_the_username_count_but_not_the_address_count() -> None:
    for _ in range(4):
        lockout.attempt(KIND, "sam", "10.0.0.1")  # a try counts as a failure until it succeeds
    lockout.succeeded(lockout.attempt(KIND, "sam", "10.0.0.1"))
    for _ in range(5):
        lockout.attempt(KIND, "sam", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        lockout.attempt(KIND, "sam", "10.0.0.2")


def test_old_failures_fall_out_of_the_window() -> None:
    for _ in range(5):
        lockout.attempt(KIND, "sam", None)
    with pytest.raises(TooManyAttempts):
        lockout.attempt(KIND, "sam", None)
    assert AccessAttempt.objects.count() == 5  # a refused try is not counted again
    AccessAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    lockout.attempt(KIND, "sam", None)


def test_security_codes_allow_one_step_of_clock_drift_only() -> None:
    secret = pyotp.random_base32()
    now = 1_700_000_000.0
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.fromtimestamp(now, tz=UTC))
    assert matching_step(secret, totp.at(now), now=now) == step
    assert matching_step(secret, totp.at(now - 30), now=now) == step - 1
    assert matching_step(secret, totp.at(now + 30), now=now) == step + 1
    assert matching_step(secret, totp.at(now - 90), now=now) is None
    assert matching_step(secret, "12345", now=now) is None


def test_making_accounts() -> None:
    person = Person.objects.create(display_name="Kim")
    made = create_parent("kim", person)
    account = Account.objects.get(user__username="kim")
    assert account.person == person and account.verified_by == "data_team"
    assert account.user.password.startswith("argon2") and made.password not in account.user.password
    with pytest.raises(Conflict):
        create_parent("KIM", None)
    with pytest.raises(InvalidInput):
        create_staff("boss", "superuser")
    with pytest.raises(InvalidInput):
        create_parent("short", None, password="abc")


def test_demo_accounts_are_stable_and_idempotent() -> None:
    a, b = Person.objects.create(display_name="A"), Person.objects.create(display_name="B")
    first = demo_accounts([a, b])
    again = demo_accounts([a, b])
    assert first == again
    assert [x["role"] for x in first] == ["parent", "parent", "data_team"]
    assert [x["person_id"] for x in first] == [a.public_id, b.public_id, None]
    assert set(first[0]) == {"role", "username", "password", "person_id"}


def test_the_accounts_commands() -> None:
    import famlink.cli.accounts  # noqa: F401  (registers the commands)
    from famlink.cli.main import cli

    person = Person.objects.create(display_name="Lee")
    runner = CliRunner()
    result = runner.invoke(cli, ["accounts", "create-staff", "--role", "data_team", "--username", "lee.staff"])
    assert result.exit_code == 0, result.output
    assert "password: " in result.output
    result = runner.invoke(cli, ["accounts", "issue-code", "--person", person.public_id, "--issued-by", "lee.staff"])
    assert result.exit_code == 0 and result.output.startswith("code: ")
    result = runner.invoke(cli, ["accounts", "create-parent", "--person", person.public_id, "--username", "lee", "--json"])
    assert result.exit_code == 0 and f'"person_id": "{person.public_id}"' in result.output
    result = runner.invoke(cli, ["accounts", "create-parent", "--person", "PNOPE", "--username", "x"])
    assert result.exit_code == 2 and "No person" in result.output


def test_a_staff_account_can_read_through_the_policy_door() -> None:
    from django.contrib.auth import get_user_model

    from famlink.adapters.storage.governance.actors import actor_for
    from famlink.adapters.storage.sources.models import Organisation
    from famlink.core.policy import Role
    from famlink.core.taxonomy import DataCategory, Purpose
    from famlink.services.governance import door

    council = Organisation.objects.create(name="Exampleshire Council", sector="childrens_social_care",
                                          organisation_type="public")
    create_staff("rita", "data_team", organisation=council.name)
    actor = actor_for(get_user_model().objects.get(username="rita"))
    assert actor.role is Role.DATA_TEAM and actor.organisation == council.name
    assert Purpose.SUBJECT_ACCESS in actor.purposes and Purpose.FRAUD_DEBT not in actor.purposes
    person = Person.objects.create(display_name="Kay")
    with door.open(actor, Purpose.SUBJECT_ACCESS, person, [DataCategory.IDENTITY]) as grant:
        assert grant.decision.allow

    create_staff("pat", "practitioner", purposes=["service.direct_delivery"])
    assert actor_for(get_user_model().objects.get(username="pat")).purposes == {Purpose.DIRECT_SERVICE_DELIVERY}
    with pytest.raises(InvalidInput, match="does not let a practitioner use"):
        create_staff("sam.p", "practitioner", purposes=["research.pseudonymised_statistics"])
    with pytest.raises(InvalidInput, match="not a purpose"):
        create_staff("sam.q", "practitioner", purposes=["snooping"])
    with pytest.raises(NotFound, match="No organisation called Nowhere"):
        create_staff("sam.r", "practitioner", organisation="Nowhere")
    assert not get_user_model().objects.filter(username__startswith="sam.").exists()  # nothing half-made


def test_the_demo_data_team_member_is_a_records_officer_the_door_knows() -> None:
    from famlink.adapters.storage.governance.models import StaffActor
    from famlink.core.taxonomy import Purpose

    a = Person.objects.create(display_name="A")
    demo_accounts([a])
    StaffActor.objects.filter(user__username="datateam").delete()  # a demo made before staff were authorised
    demo_accounts([a])
    staff = StaffActor.objects.get(user__username="datateam")
    assert staff.role == "data_team"
    assert Purpose.SUBJECT_ACCESS.value in staff.purposes and Purpose.RECORD_LINKAGE.value in staff.purposes


def test_create_staff_command_names_organisation_and_purposes() -> None:
    import json

    import famlink.cli.accounts  # noqa: F401  (registers the commands)
    from famlink.adapters.storage.sources.models import Organisation
    from famlink.cli.main import cli

    Organisation.objects.create(name="Exampleshire Health", sector="health", organisation_type="public")
    result = CliRunner().invoke(cli, [
        "accounts", "create-staff", "--role", "practitioner", "--username", "nurse.jo", "--organisation",
        "Exampleshire Health", "--purpose", "service.direct_delivery", "--purpose", "safeguarding.child_protection",
        "--json",
    ])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["organisation"] == "Exampleshire Health"
    assert shown["purposes"] == "service.direct_delivery safeguarding.child_protection"
    result = CliRunner().invoke(cli, ["accounts", "create-staff", "--role", "dpo", "--username", "d",
                                      "--purpose", "fraud.debt_recovery"])
    assert result.exit_code == 2 and "does not let a dpo use" in result.output
