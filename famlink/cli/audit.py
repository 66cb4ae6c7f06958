"""``famlink audit``: publish signed tree heads, verify the log, prove an entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from famlink.cli.main import cli, setup_django

if TYPE_CHECKING:
    from famlink.services.governance.audit.verification import AuditCheck


@cli.group()
def audit() -> None:
    """The verifiable audit log (see docs/audit.md)."""


@audit.command()
@click.option("--json", "as_json", is_flag=True,
              help="Print the signed tree head as JSON, with where it was witnessed.")
def publish(as_json: bool) -> None:
    """Sign the tree head over every entry so far, publish it, and keep it in the witness file and witness URLs.

    Exit code 1 if a witness URL did not take it (the head stays published).
    """
    setup_django()
    from famlink.services.governance.audit.publication import publish as publish_head

    published = publish_head()
    failed = [report for report in published.witnesses if not report.ok]
    if as_json:
        click.echo(json.dumps({
            **json.loads(published.signed.to_json()),
            "witness_file": str(published.witness_file),
            "witnesses": [{"url": r.url, "ok": r.ok, "problem": r.problem} for r in published.witnesses],
        }))
    else:
        head = published.head
        click.echo(f"Signed tree head: {head.size:,} entries, root {head.root_hash.hex()}")
        click.echo(f"Kept in the witness file {published.witness_file}")
        for report in published.witnesses:
            click.echo(f"Sent to {report.url}" if report.ok else f"NOT SENT to {report.url}: {report.problem}")
        if failed:
            click.echo(f"{len(failed)} witness URL(s) did not take the head; it is published all the same, "
                       "and the next publish sends them a newer one.")
    if failed:
        raise SystemExit(1)


@audit.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"entries": N, "ok": true, ...}.')
@click.option("--against", "sources", multiple=True, metavar="FILE_OR_URL",
              help="Also check against signed tree heads saved elsewhere: a file, or an http(s) URL such as a "
                   "copy of /transparency/audit-log.json. May be given more than once.")
def verify(as_json: bool, sources: tuple[str, ...]) -> None:
    """Recompute every hash and check every signed tree head, stored and witnessed; name the first bad entry."""
    setup_django()
    from famlink.services.governance.audit.verification import verify as verify_log

    check = verify_log(against=sources)
    click.echo(json.dumps(check.as_dict()) if as_json else verdict(check))
    if not check.ok:
        raise SystemExit(1)


def verdict(check: AuditCheck) -> str:
    """The result of an audit log check in one line (``famlink audit verify``, ``famlink restore``)."""
    if not check.ok:
        return f"NOT OK: {check.problem}"
    return (
        f"ok: {check.entries:,} entries, {check.tree_heads_checked} signed tree heads checked "
        f"({check.witnessed_heads_checked} kept outside the database), "
        f"{check.entries_after_last_head:,} entries not yet under a signed head"
        + (f", {check.entries_pending:,} written while it ran and not yet placed" if check.entries_pending else "")
    )


@audit.command()
@click.argument("entry_id", type=click.IntRange(min=0))
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
def prove(entry_id: int, as_json: bool) -> None:
    """Print an inclusion proof for ENTRY_ID against the latest signed tree head."""
    setup_django()
    from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
    from famlink.services.governance.audit.proofs import prove as prove_entry

    sequence_pending(wait=True)  # a reader of the log: leave nothing pending behind it
    found = prove_entry(entry_id)
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
    from famlink.adapters.storage.governance.audit import writer as audit_writer

    audit_writer.run(path)
