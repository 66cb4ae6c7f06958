"""Plain-English reasons for a link, from its stored per-comparison evidence.

A practitioner or parent reads "same date of birth; surnames differ by a
letter; same postcode", strongest evidence first, with what counted against
the link said separately, never a bare score.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: weights smaller than this (in bits) are not worth a mention
NEGLIGIBLE = 0.5


def explain(comparison_levels: Iterable[dict[str, Any]]) -> str:
    """Evidence for and against a link, each sorted by how much it counted.

    ``comparison_levels`` are the stored dicts ``{"comparison", "label",
    "weight"}`` of one scored pair; missing values (weight 0) are skipped.
    """
    levels = [lv for lv in comparison_levels if abs(float(lv.get("weight", 0))) >= NEGLIGIBLE]
    supporting = sorted((lv for lv in levels if lv["weight"] > 0), key=lambda lv: -lv["weight"])
    against = sorted((lv for lv in levels if lv["weight"] < 0), key=lambda lv: lv["weight"])
    parts = []
    if supporting:
        parts.append("; ".join(lv["label"] for lv in supporting))
    if against:
        parts.append("against: " + "; ".join(lv["label"] for lv in against))
    return ". ".join(parts) if parts else "no evidence either way"


def explain_strength(match_probability: float) -> str:
    """The probability in words, for people who do not read decimals."""
    if match_probability >= 0.999:
        return "almost certainly the same person"
    if match_probability >= 0.99:
        return "very likely the same person"
    if match_probability >= 0.9:
        return "probably the same person"
    if match_probability >= 0.5:
        return "possibly the same person"
    return "probably different people"
