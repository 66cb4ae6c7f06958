"""``famlink accounts``: staff and parents made from the command line, and one clear line when refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from famlink.adapters.storage.family.models import Person

pytestmark = pytest.mark.django_db


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


def test_create_service_prints_a_token_once_that_the_api_takes_until_it_is_revoked() -> None:
    import json

    from django.test import Client

    import famlink.cli.accounts  # noqa: F401  (registers the commands)
    from famlink.cli.main import cli
    from tests.common import builders

    fam = builders.family("cli")
    runner = CliRunner()
    result = runner.invoke(cli, ["accounts", "create-service", "--name", "cms", "--role", "practitioner", "--json"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.output)["token"]
    url = f"/api/persons/{fam.child.public_id}/records?purpose=service.direct_delivery"
    answer = Client().get(url, **builders.bearer(token))
    assert answer.status_code == 403 and answer["Content-Type"] == "application/problem+json"  # no consent: refused
    assert json.loads(answer.content)["reasons"], "a refusal says why"
    listed = runner.invoke(cli, ["accounts", "list-services", "--json"])
    assert json.loads(listed.output)[0]["name"] == "cms" and token not in listed.output
    assert runner.invoke(cli, ["accounts", "revoke-service", "--name", "cms"]).output == "revoked 1 token(s) of cms\n"
    assert Client().get(url, **builders.bearer(token)).status_code == 401
    refused = runner.invoke(cli, ["accounts", "create-service", "--name", "x", "--role", "practitioner", "--scope", "all"])
    assert refused.exit_code == 2 and "not a scope" in refused.output


def test_create_staff_by_job_and_link_their_council_sign_in() -> None:
    import json

    import famlink.cli.accounts  # noqa: F401  (registers the commands)
    from famlink.adapters.storage.accounts.models import ExternalIdentity
    from famlink.adapters.storage.governance.models import StaffActor
    from famlink.adapters.storage.sources.models import Organisation
    from famlink.cli.main import cli

    Organisation.objects.create(name="Riverside Community Health", sector="health", organisation_type="public")
    runner = CliRunner()
    result = runner.invoke(cli, ["accounts", "create-staff", "--job", "health_visitor", "--username", "hv.amy",
                                 "--organisation", "Riverside Community Health", "--service", "health",
                                 "--issuer", "https://login.council.example", "--subject", "amy-1", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["role"], shown["job"], shown["service"]) == ("practitioner", "health_visitor", "health")
    assert StaffActor.objects.get(user__username="hv.amy").job == "health_visitor"
    assert ExternalIdentity.objects.get().subject == "amy-1"
    missing = runner.invoke(cli, ["accounts", "create-staff", "--job", "social_worker", "--username", "sw.x"])
    assert missing.exit_code == 2 and "needs --organisation and --service" in missing.output
    half = runner.invoke(cli, ["accounts", "create-staff", "--job", "dpo", "--username", "d.x", "--issuer", "https://x"])
    assert half.exit_code == 2 and "--issuer and --subject together" in half.output
    runner.invoke(cli, ["accounts", "create-staff", "--job", "auditor", "--username", "aud"])
    linked = runner.invoke(cli, ["accounts", "link-identity", "--username", "aud", "--issuer",
                                 "https://login.council.example", "--subject", "aud-7"])
    assert linked.exit_code == 0 and "aud can sign in through https://login.council.example as aud-7" in linked.output
    taken = runner.invoke(cli, ["accounts", "link-identity", "--username", "aud", "--issuer",
                                "https://login.council.example", "--subject", "amy-1"])
    assert taken.exit_code == 2 and "already linked to hv.amy" in taken.output
