"""``famlink backup`` and ``famlink restore``: the whole database to one file and back (docs/operations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from famlink.cli.audit import verdict
from famlink.cli.main import cli, setup_django

if TYPE_CHECKING:
    from famlink.adapters.storage.backup import RestorePlan


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The backup file to write: a new file, never one that exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the backup's manifest as JSON.")
def backup(out: Path, as_json: bool) -> None:
    """Back up the configured database to a new file (0600); the server can keep running."""
    setup_django(migrate=False)  # a backup copies the database as it is
    from famlink.adapters.storage.backup import database_name, take_backup

    manifest = take_backup(out)
    if as_json:
        click.echo(json.dumps(manifest.as_dict()))
        return
    click.echo(
        f"Backed up {database_name()} to {out}: {manifest.copy_bytes:,} bytes, {len(manifest.migrations)} "
        f"migrations, an audit log of {manifest.audit_entries:,} entries (root {manifest.audit_root})."
    )


def _plan(plan: RestorePlan) -> list[str]:
    from famlink.adapters.storage.backup import KIND_NAME

    made = plan.manifest
    replaced = plan.replaced
    now = "holds no audit log" if replaced is None else f"holds an audit log of {replaced.entries:,} entries" + (
        f", signed up to {replaced.signed_size:,} at {replaced.signed_at}" if replaced.signed_size is not None else "")
    return [
        f"Backup {plan.backup}: {KIND_NAME[made.database]} database taken at {made.taken_at} by famlink {made.famlink_version}, "
        f"an audit log of {made.audit_entries:,} entries and {made.signed_heads} signed tree heads.",
        f"It replaces everything in {plan.database}, which now {now}.",
        *(f"Note: {note}." for note in plan.notes),
    ]


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking first.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (what it asks goes to stderr).")
def restore(file: Path, yes: bool, as_json: bool) -> None:
    """Replace the configured database with the backup FILE, then check the audit log.

    Stop famlink serve first. Exit code 1 if nothing was restored or the audit log check is not ok.
    """
    setup_django(migrate=False)  # the restore migrates the database it restores
    from famlink.services.backup import restore as restore_backup

    def confirm(plan: RestorePlan) -> bool:
        for line in _plan(plan):
            click.echo(line, err=as_json)
        return yes or click.confirm("Replace it with this backup?", default=False, err=as_json)

    done = restore_backup(file, confirm=confirm)
    if done is None:
        click.echo("Nothing was changed.", err=as_json)
        raise SystemExit(1)
    if as_json:
        click.echo(json.dumps(done.as_dict()))
    else:
        click.echo(f"Restored {file} into {done.plan.database}.")
        click.echo(f"Audit log: {verdict(done.check)}")
        for problem in done.problems:
            click.echo(f"NOT OK: {problem}")
    if not done.ok:
        raise SystemExit(1)
