"""The linkage model card: what the saved model weighs, and what it was trained on.

A model card holds no personal data (comparisons, their levels, m and u
probabilities, and counts of records), so it is read without the policy
door: it is what the algorithm register and anyone checking the model may see.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Count

from famlink.adapters.linkage.splink_model import is_agreement
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.core.errors import NotFound
from famlink.services.linkage.run import latest_model


def _weight(m: float | None, u: float | None) -> float | None:
    """Match weight: log2 of the Bayes factor m/u (0 = no evidence either way)."""
    if m is None or u is None or m <= 0 or u <= 0:
        return None
    return math.log2(m / u)


def _level(level: dict[str, Any]) -> dict[str, Any]:
    if level.get("is_null_level"):
        return {"label": level.get("label_for_charts", "missing"), "kind": "missing",
                "m": None, "u": None, "match_weight": 0.0, "m_fixed": False, "term_frequency": None}
    m, u = level.get("m_probability"), level.get("u_probability")
    return {"label": level.get("label_for_charts", level["sql_condition"]),
            "kind": "agreement" if is_agreement(level) else "different",
            "m": m, "u": u, "match_weight": _weight(m, u),
            "m_fixed": bool(level.get("fix_m_probability")),
            "term_frequency": level.get("tf_adjustment_column")}


def _training(version: str) -> dict[str, Any] | None:
    """The run that trained model ``version``: when, with which engine, on how many records from where."""
    run = (LinkageRun.objects.filter(model_version=version, retrained=True, status=LinkageRun.Status.COMPLETE)
           .defer("model").order_by("id").first())
    if run is None:
        return None
    by_source = (RecordAssignment.objects.filter(run=run).values("record__source__name")
                 .annotate(n=Count("id")).order_by("record__source__name"))
    return {"run": run.pk, "trained_on": run.started_at.isoformat(), "engine": run.engine,
            "records": run.counts.get("records_linked", run.counts.get("records")),
            "distinct_identities": run.counts.get("identities"),
            "records_excluded_by_consent_filter": run.counts.get("records_excluded_by_consent_filter"),
            "records_by_source": {row["record__source__name"]: row["n"] for row in by_source}}


def model_card() -> dict[str, Any]:
    """Every comparison of the saved linkage model, each level's label, m, u and match weight,
    and the run that trained it (None if that run is no longer stored)."""
    saved = latest_model()
    if saved is None:
        raise NotFound("no linkage model has been trained yet: run famlink link first")
    version, model = saved
    prior = model.get("probability_two_random_records_match")
    return {
        "model_version": version,
        "probability_two_random_records_match": prior,
        "prior_match_weight": _weight(prior, 1 - prior) if prior is not None and prior < 1 else None,
        # Splink saves every description as "CustomComparison": the column name says more
        "comparisons": [{"name": c["output_column_name"], "levels": [_level(lv) for lv in c["comparison_levels"]]}
                        for c in model["comparisons"]],
        "training": _training(version),
    }
