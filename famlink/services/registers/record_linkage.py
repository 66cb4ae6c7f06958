"""The record-linkage model's assessment: its measured quality, against the pass/fail tests in its register entry.

The linkage model joins records and flags nobody, so the scoring gate does
not apply to it; but, like every model, it is assessed against tests written
before the assessment ran, and the result is published in the algorithm
register. The figures are measured against records whose true matches are
known: the synthetic world's truth file in the demo, a clerically reviewed
sample in a council (same format: ``source,record_key,person_id``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from famlink.adapters.storage.registers import store
from famlink.core.assessment import check_criteria
from famlink.core.registers.algorithms import AlgorithmEntry
from famlink.services.linkage.evaluation import evaluate_against_truth
from famlink.services.linkage.model_card import model_card

#: the register entry of the model ``famlink link`` trains (famlink/registers/algorithms/record-linkage-v1.toml)
LINKAGE_MODEL_ID = "record-linkage-v1"


def negative_agreement_weights(card: dict[str, Any]) -> int:
    """How many levels that mean the details agree count against a match (must be none)."""
    return sum(1 for comparison in card["comparisons"] for level in comparison["levels"]
               if level["kind"] == "agreement" and (level["match_weight"] or 0.0) < 0)


def assess_record_linkage(entry: AlgorithmEntry, truth_path: Path) -> dict[str, Any]:
    """Measure the stored links against known true matches, test the entry's criteria, record the result."""
    quality = evaluate_against_truth(truth_path)
    card = model_card()
    headline: dict[str, float | None] = {
        "pairwise_precision": quality["pairwise"]["precision"],
        "pairwise_recall": quality["pairwise"]["recall"],
        "pairwise_f1": quality["pairwise"]["f1"],
        "bcubed_f1": quality["bcubed"]["f1"],
        "negative_agreement_weights": float(negative_agreement_weights(card)),
    }
    results = check_criteria(entry.criteria, headline)
    figures = {
        "kind": entry.kind,
        "model_id": entry.id,
        "model_version": card["model_version"],
        "ran_at": timezone.now().isoformat(),
        "passed": all(r["passed"] for r in results),
        "criteria_written_on": entry.criteria_written_on.isoformat(),
        "criteria_sha256": entry.criteria_sha256,
        "period": f"{quality['records_evaluated']:,} records whose true matches are known",
        "headline": headline,
        "criteria": results,
        "quality": quality,
        "threshold": quality["threshold"],
    }
    store.record_assessment(figures, assessed_by=entry.auditor)
    return figures
