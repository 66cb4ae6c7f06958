"""``famlink workspace``: put families on a member of staff's caseload, and take them off."""

from __future__ import annotations

import click

from famlink.cli.main import cli, setup_django


@cli.group()
def workspace() -> None:
    """Caseloads: who works with which family (and so who is alerted when something new happens)."""


@workspace.command("allocate")
@click.option("--username", required=True, help="The practitioner's or safeguarding lead's username.")
@click.option("--person", "person_id", required=True, help="The public id of the family member they work with.")
@click.option("--lead", is_flag=True, help="They are the family's lead practitioner.")
@click.option("--contact", default="", help="How other professionals reach them (a phone number, a team inbox).")
@click.option("--case-reference", default="", help="The case reference in their own service's system.")
def allocate(username: str, person_id: str, lead: bool, contact: str, case_reference: str) -> None:
    """Put PERSON on USERNAME's caseload: they are alerted when something new happens about the family."""
    setup_django()
    from famlink.services.workspace.caseload import allocate as put

    made = put(username, person_id, lead=lead, contact=contact, case_reference=case_reference)
    click.echo(f"{person_id} is on {username}'s caseload from {made.from_date.isoformat()} ({made.get_part_display()})")


@workspace.command("end-allocation")
@click.option("--username", required=True)
@click.option("--person", "person_id", required=True)
def end_allocation(username: str, person_id: str) -> None:
    """Take PERSON off USERNAME's caseload (kept as history); no more alerts about the family."""
    setup_django()
    from famlink.services.workspace.caseload import end_allocation as end

    ended = end(username, person_id)
    click.echo(f"{person_id} left {username}'s caseload on {ended.to_date.isoformat() if ended.to_date else ''}")
