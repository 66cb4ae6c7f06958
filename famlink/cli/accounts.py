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
@click.option("--job", default=None,
              help="What they do: early_help_worker, social_worker, health_visitor, school_safeguarding_lead, "
                   "designated_safeguarding_lead, data_team, dpo, independent_reviewer or auditor. Their role follows.")
@click.option("--role", default=None, help="Instead of --job: practitioner, safeguarding_lead, data_team, dpo, auditor "
                                           "or independent_reviewer.")
@click.option("--username", required=True)
@click.option("--organisation", default=None, help="Their organisation, as named in a registered source (practitioners: required).")
@click.option("--service", default=None, help="The service they work in, e.g. health or childrens_social_care (practitioners: required).")
@click.option("--purpose", "purposes", multiple=True,
              help="A purpose they are authorised for (repeat for more). Default: every purpose the policy lets the role use.")
@click.option("--issuer", default=None, help="With --subject: the council sign-in (OpenID Connect issuer) that signs in as them.")
@click.option("--subject", default=None, help="Their subject at that issuer.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def create_staff(job: str | None, role: str | None, username: str, organisation: str | None, service: str | None,
                 purposes: tuple[str, ...], issuer: str | None, subject: str | None, as_json: bool) -> None:
    """Make a staff sign-in and what the policy door knows of them; they set up security codes at first sign-in."""
    if bool(issuer) != bool(subject):
        raise click.UsageError("Give --issuer and --subject together.")
    setup_django()
    from famlink.services.accounts.provisioning import create_staff as make

    made = make(username, role, job=job, organisation=organisation, service=service, purposes=list(purposes) or None,
                identity=(issuer, subject) if issuer and subject else None)
    _show(made.as_dict(), as_json)


@accounts.command("link-identity")
@click.option("--username", required=True, help="The member of staff's famlink username.")
@click.option("--issuer", required=True, help="The council sign-in's OpenID Connect issuer (FAMLINK_STAFF_OIDC_ISSUER).")
@click.option("--subject", required=True, help="Their subject (sub) at that issuer.")
def link_identity(username: str, issuer: str, subject: str) -> None:
    """Let a member of staff sign in through the council's sign-in; nobody reaches a staff account otherwise."""
    setup_django()
    from famlink.services.accounts.provisioning import link_identity as link

    found = link(username, issuer, subject)
    click.echo(f"{username} can sign in through {found.issuer} as {found.subject}")


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
