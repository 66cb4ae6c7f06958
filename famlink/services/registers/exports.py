"""The public registers as data, built from the live configuration and database.

The algorithm register is the TOML entries that the scoring code itself
reads, joined with the assessments and runs recorded here, so the page
cannot say one thing while something else runs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from famlink import config
from famlink.adapters.storage.registers import store
from famlink.adapters.storage.registers.models import ModelAssessment, ScoringRun
from famlink.core.audit.signing import PUBLIC_KEY_FILENAME
from famlink.core.errors import NotFound
from famlink.core.registers import load_algorithms, load_contractors
from famlink.core.registers.algorithms import find_algorithm
from famlink.core.taxonomy import Purpose

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "core" / "registers" / "schemas"
REGISTERS = ("algorithms", "contractors", "audit-log")


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())


def _assessment(row: ModelAssessment) -> dict[str, Any]:
    base = f"/registers/algorithms/{row.model_id}/assessments/{row.pk}"
    figures_only = row.figures.get("kind") == "matching"  # the linkage model's figures have no written report
    return {
        "ran_at": row.ran_at.isoformat(),
        "passed": row.passed,
        "period": row.period,
        "headline": row.headline,
        "report_html": f"{base}.html" if row.figures and not figures_only else None,
        "report_pdf": f"{base}.pdf" if row.report_dir else None,
        "report_json": f"{base}.json" if row.figures else None,
    }


def algorithms() -> dict[str, Any]:
    now = timezone.now()
    entries = []
    for entry in load_algorithms():
        gate = store.gate_for(entry, now)
        rows = list(ModelAssessment.objects.filter(model_id=entry.id).order_by("-ran_at", "-pk"))
        run = ScoringRun.objects.filter(model_id=entry.id).order_by("-ran_at", "-pk").first()
        item = entry.as_dict()
        item.update(
            model_card=None if entry.scores_people else _linkage_model_card(),
            state=gate.state,
            may_score=gate.allowed,
            reasons=list(gate.reasons),
            latest_assessment=_assessment(rows[0]) if rows else None,
            assessment_history=[_assessment(r) for r in rows],
            latest_run=None if run is None else {
                "ran_at": run.ran_at.isoformat(), "allowed": run.allowed, "selected": run.selected,
                "above_threshold": run.above_threshold, "over_capacity": run.over_capacity,
                "capacity": run.capacity, "reasons": run.reasons,
            },
        )
        entries.append(item)
    bases = config.consent_models()
    for item in entries:  # what each model's use of records rests on, from the council's configuration
        basis = bases.get(Purpose(item["purpose"]))
        item["consent_model"] = basis.model.value if basis else None
    return {"register": "algorithms", "generated_at": now.isoformat(), "entries": entries,
            "consent_models": [{"purpose": purpose.value, "model": basis.model.value,
                                "lawful_basis": basis.lawful_basis or None} for purpose, basis in bases.items()]}


def _linkage_model_card() -> dict[str, Any] | None:
    """The saved linkage model's weights (no personal data), or None before the first run."""
    from famlink.services.linkage.model_card import model_card

    try:
        return model_card()
    except NotFound:
        return None


def contractors() -> dict[str, Any]:
    return {
        "register": "contractors",
        "generated_at": timezone.now().isoformat(),
        "entries": [c.as_dict() for c in load_contractors()],
    }


def audit_log() -> dict[str, Any]:
    """Published signed tree heads, from the governance storage."""
    from famlink.services.governance.audit.publication import public_tree_heads

    heads = public_tree_heads()
    key = config.data_dir() / PUBLIC_KEY_FILENAME
    note = (
        "Each tree head is the audit log operator's signed statement of how many entries the log held and "
        "their Merkle root at that time. Anyone can check a later head is consistent with an earlier one."
        if heads else "No tree heads have been published yet. They appear here when the data team runs the publish step."
    )
    return {
        "register": "audit-log",
        "generated_at": timezone.now().isoformat(),
        "public_key_pem": key.read_text() if key.is_file() else None,
        "note": note,
        "tree_heads": heads,
    }


def build(name: str) -> dict[str, Any]:
    return {"algorithms": algorithms, "contractors": contractors, "audit-log": audit_log}[name]()


CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "algorithms": ("id", "name", "version", "published", "phase", "state", "may_score", "owner_organisation", "supplier",
                   "purpose", "lawful_basis", "consent_model", "risk_category", "service_name", "service_capacity", "capacity_period",
                   "operating_threshold", "review_interval_days", "criteria_written_on", "latest_assessment_ran_at",
                   "latest_assessment_passed", "latest_auroc", "reasons"),
    "contractors": ("id", "name", "companies_house_number", "contract_reference", "contract_start", "contract_end",
                    "what_it_does", "sources", "data_categories", "data_stored_at", "subprocessors", "residual_risk",
                    "dpia_completed_on"),
    "audit-log": ("size", "root_hash", "timestamp", "key_id", "signature"),
}


def _flat(name: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    if name == "audit-log":
        return [{**h["tree_head"], "key_id": h["key_id"], "signature": h["signature"]} for h in data["tree_heads"]]
    rows = []
    for e in data["entries"]:
        row = dict(e)
        if name == "algorithms":
            latest = e["latest_assessment"] or {}
            row.update(latest_assessment_ran_at=latest.get("ran_at", ""), latest_assessment_passed=latest.get("passed", ""),
                       latest_auroc=(latest.get("headline") or {}).get("auroc", ""), reasons=" ".join(e["reasons"]))
        else:
            row["subprocessors"] = "; ".join(f"{s['name']} ({s['location']})" for s in e["subprocessors"])
        rows.append({k: "; ".join(map(str, row[k])) if isinstance(row[k], list) else row[k] for k in CSV_COLUMNS[name]})
    return rows


def as_csv(name: str, data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS[name], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_flat(name, data))
    return out.getvalue()



@dataclass(frozen=True)
class AssessmentReport:
    """One recorded assessment as it is published: its figures, the model's register entry, its PDF if one was written."""

    figures: dict[str, Any]
    entry: dict[str, Any]
    pdf: Path | None

    def page(self) -> str:
        """The report as a standalone HTML page, from the same figures as the JSON."""
        from famlink.core.assessment.report import render_html

        if self.figures.get("kind") == "matching":
            raise NotFound("this assessment has figures only: add .json to the address")
        return render_html(json.loads(json.dumps(self.figures)), self.entry)


def assessment_report(model_id: str, number: int) -> AssessmentReport:
    """An assessment's published report: figures for groups, never for a person (small groups are suppressed)."""
    row = ModelAssessment.objects.filter(model_id=model_id, pk=number).first()
    if row is None:
        raise NotFound(f"no assessment {number} of '{model_id}'")
    pdf = Path(row.report_dir) / "assessment.pdf" if row.report_dir else None
    return AssessmentReport(figures=row.figures, entry=find_algorithm(model_id).as_dict(),
                            pdf=pdf if pdf is not None and pdf.is_file() else None)
