"""Capacity-aware selection: never flag more families than the service can help.

Scores are per child; the service helps families, so a family's need is its
highest child's score. At most ``capacity`` families at or above the
threshold are chosen, highest need first (ties broken by household id so a
run is reproducible); everyone else above the threshold is counted, not
flagged, so the council can see unmet need without telling families about
help that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class Selection:
    selected: pd.DataFrame  # household_id, score, person_id (the child with the highest score)
    above_threshold: int  # families at or above the threshold
    not_selected_over_capacity: int  # above threshold but beyond capacity
    capacity: int
    threshold: float


def select_families(scores: pd.DataFrame, *, threshold: float, capacity: int) -> Selection:
    """``scores`` has person_id, household_id, score; returns at most ``capacity`` families."""
    if capacity < 0:
        raise ValueError("capacity cannot be negative")
    if scores.empty:
        empty = pd.DataFrame(columns=["household_id", "score", "person_id"])
        return Selection(empty, 0, 0, capacity, threshold)
    top = scores.sort_values(["score", "person_id"], ascending=[False, True], kind="mergesort")
    families = top.drop_duplicates("household_id", keep="first")
    above = families[families["score"].to_numpy() >= threshold]
    above = above.iloc[np.lexsort((above["household_id"].to_numpy(), -above["score"].to_numpy()))]
    chosen = above.head(capacity)[["household_id", "score", "person_id"]].reset_index(drop=True)
    return Selection(chosen, len(above), len(above) - len(chosen), capacity, threshold)
