"""``famlink accounts``: the data team makes sign-ins and issues verification codes.

There is no sign-up page; these commands (and GOV.UK One Login) are how
accounts come to exist. Passwords are printed once and never stored in clear.
"""

from __future__ import annotations

import json

import click

from famlink.cli.main import cli, setup_django


@cli.group()
def accounts() -> None:
    """Make parent, staff and service-account sign-ins; issue verification codes."""


def _show(credentials: dict[str, str | None], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(credentials))
        return
    for key, value in credentials.items():
        if value is not None:
            click.echo(f"{key}: {value}")


@accounts.command("create-parent")
@click.option("--person", "person_id", required=True, help="The Person's public id (checked by the data team in person).")
@click.option("--username", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def create_parent(person_id: str, username: str, as_json: bool) -> None:
    """Make a parent's sign-in, already linked to PERSON because the team has checked who they are."""
    setup_django()
    from famlink.services.accounts.provisioning import create_parent as make
    from famlink.services.accounts.provisioning import find_person

    _show(make(username, find_person(person_id)).as_dict(), as_json)


@accounts.command("create-staff")
@click.option("--role", required=True, help="practitioner, safeguarding_lead, data_team, dpo or auditor.")
@click.option("--username", required=True)
@click.option("--organisation", default=None, help="Their organisation, as named in a registered source.")
@click.option("--purpose", "purposes", multiple=True,
              help="A purpose they are authorised for (repeat for more). Default: every purpose the policy lets the role use.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def create_staff(role: str, username: str, organisation: str | None, purposes: tuple[str, ...], as_json: bool) -> None:
    """Make a staff sign-in and what the policy door knows of them; they set up security codes at first sign-in."""
    setup_django()
    from famlink.services.accounts.provisioning import create_staff as make

    _show(make(username, role, organisation=organisation, purposes=list(purposes) or None).as_dict(), as_json)


@accounts.command("issue-code")
@click.option("--person", "person_id", required=True, help="The Person's public id.")
@click.option("--issued-by", required=True, help="Who in the data team checked the parent's identity.")
def issue_code(person_id: str, issued_by: str) -> None:
    """Print a one-time code for the parent's letter; it ties their account to PERSON once."""
    setup_django()
    from famlink.services.accounts.provisioning import find_person
    from famlink.services.accounts.verification import MAX_TRIES, VALID_FOR, issue

    code = issue(find_person(person_id), issued_by=issued_by)
    click.echo(f"code: {code}")
    click.echo(f"valid for {VALID_FOR.days} days; works once; {MAX_TRIES} wrong tries and it stops working")


@accounts.command("create-service")
@click.option("--name", required=True, help="The case-management system's name (letters, digits, . _ -).")
@click.option("--role", required=True, help="The policy role it acts as: practitioner, safeguarding_lead, data_team, dpo or auditor.")
@click.option("--organisation", default=None, help="Its organisation, as named in a registered source.")
@click.option("--purpose", "purposes", multiple=True,
              help="A purpose it is authorised for (repeat for more). Default: every purpose the policy lets the role use.")
@click.option("--scope", "scopes", multiple=True,
              help="An API operation its token may call, e.g. chronology:read (repeat for more). Default: every read.")
@click.option("--days", type=int, default=None, help="Days the token lasts (default: FAMLINK_API_TOKEN_DAYS, 90).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def create_service(name: str, role: str, organisation: str | None, purposes: tuple[str, ...], scopes: tuple[str, ...],
                   days: int | None, as_json: bool) -> None:
    """Make a service account for a case-management system (or give it a new token) and print its API token, once."""
    setup_django()
    from famlink.services.accounts.tokens import create_service as make

    issued = make(name, role, organisation=organisation, purposes=list(purposes) or None, scopes=scopes, days=days)
    if as_json:
        click.echo(json.dumps(issued.as_dict()))
        return
    for key, value in issued.as_dict().items():
        click.echo(f"{key}: {' '.join(value) if isinstance(value, list) else value}")
    click.echo("The token is shown only now: famlink keeps only its hash.")


@accounts.command("revoke-service")
@click.option("--name", required=True, help="The service account's name.")
def revoke_service(name: str) -> None:
    """Revoke every API token of a service account, at once."""
    setup_django()
    from famlink.services.accounts.tokens import revoke_service as revoke

    click.echo(f"revoked {revoke(name)} token(s) of {name}")


@accounts.command("list-services")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_services(as_json: bool) -> None:
    """Every service account: role, organisation, scopes and when each token expires (never the tokens)."""
    setup_django()
    from famlink.services.accounts.tokens import list_services as listed

    services = listed()
    if as_json:
        click.echo(json.dumps(services))
        return
    for service in services:
        click.echo(f"{service['name']}: {service['role']}, {service['organisation'] or 'no organisation'}")
        for token in service["tokens"]:
            state = "revoked" if token["revoked_at"] else f"expires {token['expires_at']}"
            click.echo(f"  {token['lookup']}: {' '.join(token['scopes'])}; {state}; last used {token['last_used_at'] or 'never'}")
