"""``famlink audit``: publish signed tree heads, verify the log, prove an entry or a person's part in a linkage run."""

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


@audit.command("prove-run")
@click.argument("person")
@click.argument("run_id", metavar="RUN", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the two-level proof as JSON (what the portal hands a parent).")
def prove_run(person: str, run_id: int, as_json: bool) -> None:
    """Print the two-level proof that linkage run RUN committed to PERSON's entry (docs/audit.md §9)."""
    setup_django()
    from famlink.adapters.storage.governance.audit.sequencer import sequence_pending
    from famlink.services.governance.audit.run_proofs import prove_run as prove_leaf

    sequence_pending(wait=True)
    found = prove_leaf(person, run_id)
    if as_json:
        click.echo(json.dumps(found))
        return
    run_proof, log_proof = found["run_proof"], found["log_proof"]
    click.echo(f"leaf {run_proof['index']} of run {run_id}'s tree of {run_proof['tree_size']:,}: {found['leaf']}")
    click.echo(f"run entry: {log_proof['entry']}")
    click.echo(f"entry {log_proof['proof']['index']} is in the log of {log_proof['proof']['tree_size']:,} entries, "
               f"signed root {log_proof['signed_tree_head']['tree_head']['root_hash']}")


@audit.command("verify-runs")
@click.argument("run_id", metavar="[RUN]", type=click.IntRange(min=1), required=False)
@click.option("--json", "as_json", is_flag=True, help='Print [{"run": N, "persons": P, "ok": true, "problem": null}, ...].')
def verify_runs(run_id: int | None, as_json: bool) -> None:
    """Check every linkage run's stored per-person entries (or RUN's) against the root its audit entry names.

    Exit code 1 if any was changed, removed or added.
    """
    setup_django()
    from famlink.services.governance.audit.run_checks import verify_runs as check_runs

    checks = check_runs(run_id)
    if as_json:
        click.echo(json.dumps([{"run": c.run, "persons": c.persons, "ok": c.ok, "problem": c.problem} for c in checks]))
    else:
        for check in checks:
            click.echo(f"run {check.run}: ok, {check.persons:,} persons" if check.ok else f"NOT OK: {check.problem}")
        if not checks:
            click.echo("no linkage run has been committed to the audit log yet")
    if not all(c.ok for c in checks):
        raise SystemExit(1)


@audit.command("check-proof")
@click.argument("proof_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The log's public key (audit-signing-key.pub.pem, as published); default: this deployment's.")
@click.option("--json", "as_json", is_flag=True, help='Print {"ok": true, "problem": null, ...}.')
def check_proof(proof_file: Path, key_file: Path | None, as_json: bool) -> None:
    """Check a downloaded proof, an entry's or a linkage run's (two levels), with nothing but the file and the key.

    Exit code 1 when the proof does not hold.
    """
    from famlink.core.audit import load_public_key
    from famlink.core.audit.runs import PROOF_TYPE, check_entry_proof, check_run_proof
    from famlink.core.errors import InvalidInput

    if key_file is None:
        from famlink import config
        from famlink.core.audit import signing_key

        key = signing_key(config.data_dir()).public_key()
    else:
        key = load_public_key(key_file)
    try:
        document = json.loads(proof_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(f"not a readable JSON proof: {error}", where=str(proof_file)) from None
    is_run = isinstance(document, dict) and document.get("type") == PROOF_TYPE
    check = check_run_proof(document, key) if is_run else check_entry_proof(document, key)
    if as_json:
        click.echo(json.dumps(check.as_dict()))
    elif check.ok:
        what = (f"run {check.leaf.run}'s entry for {check.leaf.person}" if check.leaf
                else f"entry {check.entry.index if check.entry else '?'}")
        click.echo(f"ok: {what} is in the signed log")
    else:
        click.echo(f"NOT OK: {check.problem}")
    if not check.ok:
        raise SystemExit(1)


@audit.command()
@click.option("--socket", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to listen (default: FAMLINK_AUDIT_WRITER_SOCKET).")
def writer(path: Path | None) -> None:
    """Commit the audit entries of reads for the web workers, many to a commit (PostgreSQL; famlink serve runs it)."""
    setup_django()
    from famlink.adapters.storage.governance.audit import writer as audit_writer

    audit_writer.run(path)
