"""``famlink audit``: publish signed tree heads, verify the log, prove an entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from famlink.cli.main import cli, setup_django

if TYPE_CHECKING:
    from famlink.adapters.storage.governance.audit_log import AuditCheck


@cli.group()
def audit() -> None:
    """The verifiable audit log (see docs/audit.md)."""


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print the signed tree head as JSON.")
def publish(as_json: bool) -> None:
    """Sign the tree head over every entry so far and publish it."""
    setup_django()
    from famlink.adapters.storage.governance import audit_log

    signed = audit_log.publish()
    if as_json:
        click.echo(signed.to_json())
    else:
        click.echo(f"Signed tree head: {signed.head.size:,} entries, root {signed.head.root_hash.hex()}")


@audit.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"entries": N, "ok": true, ...}.')
def verify(as_json: bool) -> None:
    """Recompute every hash and check every signed tree head; name the first bad entry."""
    setup_django()
    from famlink.adapters.storage.governance import audit_log

    check = audit_log.verify()
    click.echo(json.dumps(check.as_dict()) if as_json else verdict(check))
    if not check.ok:
        raise SystemExit(1)


def verdict(check: AuditCheck) -> str:
    """The result of an audit log check in one line (``famlink audit verify``, ``famlink restore``)."""
    if not check.ok:
        return f"NOT OK: {check.problem}"
    return (
        f"ok: {check.entries:,} entries, {check.tree_heads_checked} signed tree heads checked, "
        f"{check.entries_after_last_head:,} entries not yet under a signed head"
        + (f", {check.entries_pending:,} written while it ran and not yet placed" if check.entries_pending else "")
    )


@audit.command()
@click.argument("entry_id", type=click.IntRange(min=0))
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
def prove(entry_id: int, as_json: bool) -> None:
    """Print an inclusion proof for ENTRY_ID against the latest signed tree head."""
    setup_django()
    from famlink.adapters.storage.governance.audit_log import AuditTree, sequence_pending

    sequence_pending(wait=True)  # a reader of the log: leave nothing pending behind it
    found = AuditTree().prove(entry_id)
    if as_json:
        click.echo(json.dumps(found))
        return
    proof, head = found["proof"], found["signed_tree_head"]
    click.echo(f"entry {proof['index']} is in the log of {proof['tree_size']:,} entries")
    click.echo(f"entry: {found['entry']}")
    click.echo(f"leaf hash: {proof['leaf_hash']}")
    for step, digest in enumerate(proof["audit_path"]):
        click.echo(f"path {step}: {digest}")
    click.echo(f"signed root: {head['tree_head']['root_hash']} at {head['tree_head']['timestamp']}")


@audit.command()
@click.option("--socket", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to listen (default: FAMLINK_AUDIT_WRITER_SOCKET).")
def writer(path: Path | None) -> None:
    """Commit the audit entries of reads for the web workers, many to a commit (PostgreSQL; famlink serve runs it)."""
    setup_django()
    from famlink.adapters.storage.governance import audit_writer

    audit_writer.run(path)
