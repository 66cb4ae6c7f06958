"""``famlink assess``, ``famlink score`` and ``famlink registers``: the data team's model commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from famlink.cli.main import cli, setup_django
from famlink.core.errors import InvalidInput

if TYPE_CHECKING:
    from famlink.core.registers.algorithms import AlgorithmEntry


@cli.command("assess")
@click.argument("model")
@click.option("--synth", "synth_dir", type=click.Path(path_type=Path, file_okay=False), help="famlink synth folder with the later period's outcomes (default: the demo's).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Write assessment.html, .pdf and .json here.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option("--boot", default=1000, show_default=True, help="Bootstrap resamples (of families).")
@click.option("--retrain", is_flag=True, help="Train the model again before assessing.")
def assess_command(model: str, synth_dir: Path | None, out_dir: Path | None, as_json: bool, boot: int, retrain: bool) -> None:
    """Independently assess MODEL against the criteria in its register entry; a fail suspends a scoring model.

    The record-linkage model (kind "matching") is measured against the folder's truth.csv: which records are
    really the same person.
    """
    setup_django()
    from famlink import config
    from famlink.core.registers.algorithms import find_algorithm
    from famlink.services.registers.early_help import assess_from_synth

    entry = find_algorithm(model)
    synth_dir = synth_dir or config.data_dir() / "demo"
    if not (synth_dir / "truth.csv").is_file():
        raise InvalidInput("no synthetic outcomes to assess against; pass --synth DIR (from 'famlink synth')", where=str(synth_dir))
    if not entry.scores_people:
        _assess_matching(entry, synth_dir / "truth.csv", as_json)
        return
    figures, paths = assess_from_synth(entry, synth_dir, out_dir=out_dir, n_boot=boot, group_boot=boot, retrain=retrain)
    if as_json:
        click.echo(json.dumps(figures, indent=2, sort_keys=True))
        return
    h = figures["headline"]
    d = figures["discrimination"]
    click.echo(f"{entry.id}: {'PASSED' if figures['passed'] else 'FAILED (model suspended: it scores nobody)'}")
    click.echo(f"  AUROC {h['auroc']:.3f} (95% CI {d['auroc_ci'][0]:.3f}-{d['auroc_ci'][1]:.3f}); baseline {h['baseline_auroc']:.3f}")
    click.echo(f"  calibration slope {h['calibration_slope']:.2f}, intercept {h['calibration_intercept']:.2f}")
    click.echo(f"  at {entry.operating_threshold:g}: PPV {h['ppv'] or 0:.3f}, FPR {h['fpr'] or 0:.4f}, FNR {h['fnr'] or 0:.3f}")
    for c in figures["criteria"]:
        figure = "n/a" if c["figure"] is None else f"{c['figure']:.3f}"
        click.echo(f"  [{'pass' if c['passed'] else 'FAIL'}] {c['metric']} {c['op']} {c['value']:g}: {figure}")
    click.echo(f"  report: {paths['html']} and {paths['pdf']}")


def _assess_matching(entry: AlgorithmEntry, truth: Path, as_json: bool) -> None:
    from famlink.services.registers.record_linkage import assess_record_linkage

    figures = assess_record_linkage(entry, truth)
    if as_json:
        click.echo(json.dumps(figures, indent=2, sort_keys=True))
        return
    click.echo(f"{entry.id}: {'PASSED' if figures['passed'] else 'FAILED'} ({figures['period']})")
    for c in figures["criteria"]:
        figure = "n/a" if c["figure"] is None else f"{c['figure']:.4f}"
        click.echo(f"  [{'pass' if c['passed'] else 'FAIL'}] {c['metric']} {c['op']} {c['value']:g}: {figure}")
    click.echo("  published in the algorithm register (/registers/algorithms)")


@cli.command("score")
@click.argument("model")
def score_command(model: str) -> None:
    """Run MODEL over the database's children, within its service's capacity (if it may run at all)."""
    setup_django()
    from famlink.core.registers.algorithms import find_algorithm
    from famlink.services.registers.early_help import model_dir
    from famlink.services.registers.scoring import score_database

    entry = find_algorithm(model)
    outcome, _ = score_database(entry, model_dir(entry))
    click.echo(outcome.summary())


@cli.command("registers")
@click.argument("name", type=click.Choice(["algorithms", "contractors", "audit-log"]))
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of JSON.")
def registers_command(name: str, as_csv: bool) -> None:
    """Print a public register exactly as the website publishes it."""
    setup_django()
    from famlink.services.registers import exports

    data = exports.build(name)
    click.echo(exports.as_csv(name, data) if as_csv else json.dumps(data, indent=2))
