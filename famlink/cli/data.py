"""Commands for the data team: generate, ingest and inspect data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from famlink.cli.main import cli, setup_django
from famlink.cli.progress import progress_bar


@cli.command()
@click.option("--families", type=click.IntRange(1, 10_000_000), required=True, help="How many families to generate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write to.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def synth(families: int, seed: int, out_dir: Path, as_json: bool) -> None:
    """Generate synthetic families and agency extracts (with ground truth)."""
    from famlink.synth import generate

    with progress_bar("Generating families") as progress:
        summary = generate(families, seed, out_dir, progress=progress)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(summary), default=str))
    else:
        click.echo(f"Wrote {summary.families} families ({summary.persons} people) to {out_dir}")


@cli.command("synth-records")
@click.option("--profile", type=click.Choice(["historical"]), default="historical", show_default=True,
              help="Kind of data: historical = heavily corrupted census-style person records.")
@click.option("--records", type=click.IntRange(10, 5_000_000), required=True, help="How many records.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same file.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write (the truth is its cluster column).")
def synth_records(profile: str, records: int, seed: int, out_path: Path) -> None:
    """Generate one file of person records with heavy corruption, to measure famlink link-file."""
    from famlink.synth.historical import write_historical

    written = write_historical(records, seed, out_path)
    click.echo(f"Wrote {written:,} {profile} records to {out_path} (truth in column cluster)")


@cli.command()
@click.option("--source", "source_path", type=click.Path(path_type=Path), required=True, help="The source definition (TOML).")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
def ingest(source_path: Path, file: Path, as_json: bool) -> None:
    """Ingest an extract FILE (CSV or Parquet) with its source definition."""
    setup_django()
    from famlink.services.sources.ingest import ingest_extract

    with progress_bar(f"Ingesting {file.name}", enabled=not as_json) as progress:
        report = ingest_extract(source_path, file, progress=progress)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    elif report.already_ingested:
        click.echo(f"{file}: already ingested as extract {report.extract_id} (received as {report.first_received_as}): "
                   "the same content, so nothing new.")
    else:
        click.echo(
            f"{file}: {report.rows_in} rows read, {report.accepted} accepted, {report.quarantined} quarantined "
            f"({report.rows_per_second:,.0f} rows/s)."
        )
        if report.repeated or report.updated:
            click.echo(f"  of the accepted, {report.repeated} already held (the same record sent again) "
                       f"and {report.updated} changed (stored as the record's next version)")
        for column, count in report.quarantined_by_column.items():
            click.echo(f"  quarantined {count} for {column}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status(as_json: bool) -> None:
    """Show what the database holds: totals only, no personal data."""
    setup_django()
    from famlink.adapters.storage.sources.store import holdings

    totals = holdings()
    if as_json:
        click.echo(json.dumps(totals))
        return
    for name, value in totals.items():
        click.echo(f"{name.replace('_', ' '):>18}: {value:,}")
