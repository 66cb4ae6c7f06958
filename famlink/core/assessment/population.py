"""Group attributes for fairness figures: used to check the model, never as inputs to it."""

from __future__ import annotations

import pandas as pd

GROUP_ATTRIBUTES = ("ethnicity", "sex", "parent_age_band", "deprivation", "income_band", "family_size", "disability")


def _age_band(age: float) -> str:
    if pd.isna(age):
        return "unknown"
    if age < 25:
        return "under 25"
    if age < 35:
        return "25-34"
    if age < 45:
        return "35-44"
    return "45 and over"


def _deprivation(decile: str) -> str:
    d = int(decile)
    return "deciles 1-3 (most deprived)" if d <= 3 else ("deciles 4-7" if d <= 7 else "deciles 8-10 (least deprived)")


def _family_size(size: str) -> str:
    n = int(size)
    return str(n) if n < 6 else "6 or more"


def group_attributes(people: pd.DataFrame, children: pd.Index, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per child in ``children`` order; parent age band is the youngest parent's age."""
    kids = people.set_index("person_id").loc[children]
    parents = people[people["role"] == "parent"]
    youngest = parents.groupby("household_id")["dob"].max()
    parent_age = (cutoff - kids["household_id"].map(youngest)).dt.days / 365.25
    return pd.DataFrame(
        {
            "ethnicity": kids["ethnicity"].to_numpy(),
            "sex": kids["sex"].to_numpy(),
            "parent_age_band": [_age_band(a) for a in parent_age],
            "deprivation": [_deprivation(d) for d in kids["deprivation_decile"]],
            "income_band": kids["income_band"].to_numpy(),
            "family_size": [_family_size(s) for s in kids["family_size"]],
            "disability": kids["disability"].to_numpy(),
        }
    )
