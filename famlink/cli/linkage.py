"""Linkage commands: link stored records, evaluate, reject a link, link any file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from famlink.adapters.linkage import DEFAULT_ENGINE, ENGINES, linkage_engine
from famlink.cli.main import cli, setup_django

#: the engines ``famlink.adapters.linkage`` offers; the chosen one is made only when a command runs
ENGINE_CHOICE = click.Choice(sorted(ENGINES))


@cli.command()
@click.option("--engine", type=ENGINE_CHOICE, default=DEFAULT_ENGINE, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Match probability to link at (default: estimated from the model).")
@click.option("--retrain", is_flag=True, help="Train a new model instead of reusing the saved one.")
@click.option("--incremental", is_flag=True,
              help="Link only records the last run did not assign, against each other and the "
                   "linked records; existing persons keep their records (refuses, saying why, "
                   "when only a full re-link can be right).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def link(engine: str, threshold: float | None, retrain: bool, incremental: bool, as_json: bool) -> None:
    """Link every current record into persons and households (a full re-link, or --incremental)."""
    setup_django()
    say = None if as_json else (lambda m: click.echo(m, err=True))
    if incremental:
        if retrain:
            raise click.UsageError("--incremental reuses the last run's model; --retrain needs a full re-link")
        from famlink.services.linkage.incremental import link_new_records

        summary = link_new_records(linkage_engine(engine), threshold, say=say)
    else:
        from famlink.services.linkage.run import link_records

        summary = link_records(linkage_engine(engine), threshold, retrain=retrain, say=say)
    summary.pop("outcomes", None)  # one per person: their counts are in "counts"
    if as_json:
        click.echo(json.dumps(summary, default=str))
        return
    c = summary["counts"]
    if incremental:
        click.echo(f"Incremental run {summary['run']} (adds to run {summary['extends_run']}): "
                   f"{c['records_new']:,} new records, {c['new_records_joining_existing_persons']:,} "
                   f"joined existing persons, {c['persons_created']:,} new persons.")
    click.echo(f"Run {summary['run']}: {c['records']:,} records -> {c['persons']:,} persons, "
               f"{c['households']:,} households (threshold {summary['threshold']:.3g}, "
               f"model {summary['model_version']}).")
    click.echo(f"  {c['merges']} merges, {c['splits']} splits, {c['retired']} retired, "
               f"{c['records_excluded_by_consent_filter']} records held out by the consent filter")
    click.echo(f"  {c['persons_allowed_across_services']:,} persons may be matched across services; "
               f"{c['links_kept_apart_by_consent']:,} matches across services kept apart by consent")
    logged = summary["audit_log"]
    click.echo(f"  in the audit log as entry {logged['audit_index']}, committing to {logged['persons']:,} persons' "
               f"entries (root {logged['root'][:16]}...); each can be proved after the next 'famlink audit publish'")
    for event in summary["events"][:50]:
        click.echo(f"  {event['kind']}: {event['person__public_id']} {event['before']} -> {event['after']}")


@cli.group()
def linkage() -> None:
    """Inspect and check linkage results."""


@linkage.command()
@click.option("--truth", "truth_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--chart", "chart_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write a precision-recall chart (PNG and HTML) here.")
@click.option("--json", "as_json", is_flag=True)
def evaluate(truth_path: Path, chart_dir: Path | None, as_json: bool) -> None:
    """Score the stored persons against a truth file (source,record_key,person_id)."""
    setup_django()
    from famlink.services.linkage.evaluation import evaluate_against_truth

    summary = evaluate_against_truth(truth_path, chart_dir)
    if as_json:
        flat = {f"pairwise.{k}": v for k, v in summary["pairwise"].items()}
        flat |= {f"bcubed.{k}": v for k, v in summary["bcubed"].items()}
        click.echo(json.dumps({**flat, **summary}, default=str))
        return
    p, b = summary["pairwise"], summary["bcubed"]
    click.echo(f"{summary['records_evaluated']:,} records evaluated")
    click.echo(f"pairwise  precision {p['precision']:.4f}  recall {p['recall']:.4f}  F1 {p['f1']:.4f}")
    click.echo(f"B-cubed   precision {b['precision']:.4f}  recall {b['recall']:.4f}  F1 {b['f1']:.4f}")
    click.echo(f"people reproduced exactly: {summary['entities_exact']:.3f}")


@linkage.command()
@click.option("--json", "as_json", is_flag=True)
def model(as_json: bool) -> None:
    """The saved model's card: every comparison and level with m, u and match weight, and its training."""
    setup_django()
    from famlink.services.linkage.model_card import model_card

    card = model_card()
    if as_json:
        click.echo(json.dumps(card, default=str))
        return
    training = card["training"]
    click.echo(f"Linkage model {card['model_version']}")
    if training:
        sources = ", ".join(f"{name} {n:,}" for name, n in training["records_by_source"].items())
        click.echo(f"  trained {training['trained_on']} by run {training['run']} ({training['engine']}) on "
                   f"{training['records']:,} records ({training['distinct_identities']:,} distinct): {sources}")
    else:
        click.echo("  the run that trained it is no longer stored")
    click.echo(f"  prior match weight {card['prior_match_weight']:+.2f} "
               "(match weight = log2 of m/u; m fixed = stated, not learned)")
    for comparison in card["comparisons"]:
        click.echo(comparison["name"].replace("_", " "))
        for level in comparison["levels"]:
            if level["kind"] == "missing":
                click.echo(f"  {level['label']:<72} {'':>9} {'':>9}  +0.00 (not evidence)")
                continue
            weight = level["match_weight"]
            note = " (m fixed)" if level["m_fixed"] else ""
            click.echo(f"  {level['label']:<72} m {level['m']:<7.3g} u {level['u']:<7.3g} "
                       f"{'' if weight is None else f'{weight:+6.2f}'}{note}")


@linkage.command()
@click.argument("record_id", type=int)
@click.option("--other-record", type=int, default=None, help="The record it is not the same person as.")
@click.option("--person", "person_id", default=None, help="The person it is not part of.")
@click.option("--by", "rejected_by", required=True, help="Who is rejecting the link.")
@click.option("--reason", required=True)
def reject(record_id: int, other_record: int | None, person_id: str | None, rejected_by: str, reason: str) -> None:
    """Reject a link; every later run keeps the records apart."""
    setup_django()
    from famlink.adapters.storage.linkage.store import reject_link

    rejection = reject_link(record_id, other_record_id=other_record, person_public_id=person_id,
                            rejected_by=rejected_by, reason=reason)
    click.echo(f"Rejection {rejection.pk} recorded; it applies from the next famlink link.")


@linkage.command()
@click.argument("person_id")
@click.option("--json", "as_json", is_flag=True)
def explain(person_id: str, as_json: bool) -> None:
    """Why the records of a person were linked, in words."""
    setup_django()
    from famlink.adapters.storage.linkage.store import person_links

    links = person_links(person_id)
    if as_json:
        click.echo(json.dumps(links, default=str))
        return
    for item in links:
        click.echo(f"{item['record']} ~ {item['other_record']}: {item['confidence']} "
                   f"({item['match_probability']:.3f}): {item['explanation']}")


@cli.command("link-file")
@click.argument("input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--engine", type=ENGINE_CHOICE, default=DEFAULT_ENGINE, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Match probability to link at (default: the lowest at which the model expects "
                   "the mapping's target precision, 0.98 unless set).")
@click.option("--max-pairs", type=click.IntRange(1000, 10**10), default=None,
              help="Pair budget for the blocking rules chosen from the data (default 20,000,000 "
                   "or the mapping's [linkage] max_pairs).")
@click.option("--no-family-guards", is_flag=True,
              help="Never hold back pairs for family reasons (records of unrelated people).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the run report (blocking rules chosen, estimates, quality) as JSON here.")
@click.option("--json", "as_json", is_flag=True)
def link_file_command(input_path: Path, mapping_path: Path, out_path: Path, engine: str,
                      threshold: float | None, max_pairs: int | None, no_family_guards: bool,
                      report_path: Path | None, as_json: bool) -> None:
    """Deduplicate any CSV or Parquet file; write id,cluster_id for every row."""
    from famlink.core.linkage.link_file import link_file

    summary = link_file(input_path, mapping_path, out_path, linkage_engine(engine), threshold,
                        report=None if as_json else lambda m: click.echo(m, err=True),
                        max_pairs=max_pairs, family_guards=False if no_family_guards else None,
                        report_path=report_path)
    if as_json:
        click.echo(json.dumps(summary, default=str))
        return
    click.echo(f"Wrote {summary['records']:,} rows in {summary['clusters']:,} clusters to {out_path} "
               f"(threshold {summary['threshold']:.3g}: {summary['threshold_reason']}).")
    if summary.get("family_guards"):
        click.echo(f"  family guards {summary['family_guards']['reason']}")
    quality = summary.get("quality")
    if quality:
        click.echo(f"  same-cluster precision {quality['precision']:.4f} recall {quality['recall']:.4f} "
                   f"F1 {quality['f1']:.4f}")
