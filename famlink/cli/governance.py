"""Consent and opt-outs for the data team: ``famlink consent show``, ``famlink optout``."""

from __future__ import annotations

import json

import click

from famlink.cli.main import cli, setup_django


@cli.group()
def consent() -> None:
    """What people have said about the use of their data."""


@consent.command("show")
@click.argument("person")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def consent_show(person: str, as_json: bool) -> None:
    """Show PERSON's consents and opt-outs (no records)."""
    setup_django()
    from famlink.services.governance.consent import (
        consent_summary,
        opt_outs,
        person_by_public_id,
    )

    found = person_by_public_id(person)
    consents, outs = consent_summary(found), opt_outs(found)
    if as_json:
        click.echo(json.dumps({"person": found.public_id, "consents": [c.as_dict() for c in consents],
                               "opt_outs": outs}))
        return
    rows = [c.as_dict() for c in consents] or [
        {"purpose": "(no consent recorded)", "state": "", "level": "", "expires_at": ""}]
    for row in rows:
        click.echo(f"{row['purpose']:<36} {row['state']:<10} {row['level']:<16} {row['expires_at'] or ''}")
    for kind, active in outs.items():
        click.echo(f"opted out of {kind}: {'yes' if active else 'no'}")


@cli.command()
@click.argument("person")
@click.option("--linkage", "kinds", flag_value="linkage", multiple=True, help="Opt out of linking records.")
@click.option("--sharing", "kinds", flag_value="sharing", multiple=True, help="Opt out of sharing between services.")
@click.option("--clear", is_flag=True, help="Opt back in instead.")
@click.option("--by", "recorded_by", default="data-team", show_default=True, help="Who is recording this.")
def optout(person: str, kinds: tuple[str, ...], clear: bool, recorded_by: str) -> None:
    """Record that PERSON opts out of linkage and/or sharing (audited)."""
    setup_django()
    from famlink.core.errors import InvalidInput
    from famlink.core.policy import Actor, Role
    from famlink.services.governance.consent import person_by_public_id, set_opt_out

    if not kinds:
        raise InvalidInput("say what to opt out of: --linkage, --sharing or both")
    found = person_by_public_id(person)
    for kind in kinds:
        set_opt_out(found, kind, not clear, recorded_by=Actor(id=recorded_by, role=Role.DATA_TEAM))
        click.echo(f"{found.public_id}: {'opted back in to' if clear else 'opted out of'} {kind}")


@cli.group()
def safeguarding() -> None:
    """Child-protection access (break-glass): what the policy obliges after it."""


@safeguarding.command("notify-due")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def notify_due(as_json: bool) -> None:
    """Tell the families of break-glass not yet told whose withholding has ended (safe to run again)."""
    setup_django()
    from famlink.services.workspace.break_glass import notify_due as tell_due

    told = tell_due()
    if as_json:
        click.echo(json.dumps({"told": told}))
        return
    click.echo(f"families told: {len(told)}" + (f" (authorisations {', '.join(map(str, told))})" if told else ""))
