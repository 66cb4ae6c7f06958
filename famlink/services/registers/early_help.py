"""The whole early-help pipeline, for the demo: train if missing, assess, record, score.

Training and assessment use the synthetic ground truth (who each record is
really about, and who was really referred later), which is what an
independent assessor needs; scoring uses the database, through the door.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from famlink import config
from famlink.adapters import pdf
from famlink.adapters.storage.registers import store
from famlink.core.assessment import AssessmentInput, assess
from famlink.core.assessment.population import group_attributes
from famlink.core.assessment.report import write_report
from famlink.core.registers.algorithms import AlgorithmEntry, find_algorithm
from famlink.core.targeting import early_help
from famlink.core.targeting.features import build_features
from famlink.services.registers.scoring import score_database
from famlink.synth.records import records_from_synth

MODEL_ID = "early-help-v1"


def model_dir(entry: AlgorithmEntry) -> Path:
    return config.data_dir() / entry.artefact


def assess_from_synth(
    entry: AlgorithmEntry, synth_dir: Path, *, out_dir: Path | None = None, n_boot: int = 1000,
    group_boot: int = 1000, retrain: bool = False, jobs: int = 1,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Train on 2022 (if needed), assess on 2023, write the report, record the result."""
    records, people = records_from_synth(synth_dir)
    folder = model_dir(entry)
    if retrain or not (folder / early_help.ARTEFACT).is_file():
        train = build_features(records, people, early_help.TRAIN_CUTOFF)
        early_help.save(early_help.train(entry.id, train, str(early_help.TRAIN_CUTOFF.date())), folder)
    model = early_help.load(folder)
    later = build_features(records, people, early_help.ASSESS_CUTOFF)
    data = AssessmentInput(
        y=later["label"].to_numpy(),
        score=model.score(later),
        baseline=model.baseline_score(later),
        households=later["household_id"].to_numpy(),
        attributes=group_attributes(people, later.index, early_help.ASSESS_CUTOFF),
        period=f"children on {early_help.ASSESS_CUTOFF.date()}, referrals in the following 12 months",
        notes=["Synthetic data; linkage taken from the synthetic ground truth."],
    )
    trained = {"train_cutoff": model.train_cutoff, "trained_at": model.trained_at, "train_rows": model.train_rows}
    figures = assess(entry, data, n_boot=n_boot, group_boot=group_boot, jobs=jobs, trained=trained)
    out_dir = out_dir or folder / "assessments" / figures["ran_at"].replace(":", "")
    paths = write_report(figures, entry.as_dict(), out_dir, pdf=pdf.render)
    store.record_assessment(figures, report_dir=str(out_dir), assessed_by=entry.auditor)
    return figures, paths


def run_early_help(synth_dir: Path, *, n_boot: int = 1000) -> dict[str, Any]:
    """Demo entry point: assess (training if missing), then score the database's children."""
    entry = find_algorithm(MODEL_ID)
    figures, paths = assess_from_synth(entry, synth_dir, n_boot=n_boot)
    outcome, run = score_database(entry, model_dir(entry))
    return {
        "assessment_passed": figures["passed"],
        "auroc": figures["headline"]["auroc"],
        "report": str(paths["html"]),
        "run": outcome.summary(),
        "selected": run.selected,
    }
