"""Features for the early-help model: counts of a child's records before a cutoff.

Every feature is a count a practitioner can check against the records
themselves ("2 A&E visits in the year before 1 January 2023"), so a score
can always be shown with its inputs. The label is a social-care referral
in the 12 months after the cutoff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from famlink.core.targeting.inputs import (  # noqa: F401  (re-exported: the model's inputs are defined there)
    BASELINE_FEATURES,
    EXTRA,
    FEATURE_NAMES,
    FEATURES,
    LABELS,
    Feature,
)

YEAR = pd.Timedelta(days=365)


def children_at(people: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Children aged 0-17 on the cutoff date: the model's population."""
    kids = people[(people["role"] == "child") & (people["dob"] < cutoff) & (people["dob"] > cutoff - 18 * YEAR)]
    return kids[["person_id", "household_id", "dob"]].reset_index(drop=True)


def build_features(records: pd.DataFrame, people: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per child (index person_id): features from records before the cutoff, plus the label."""
    kids = children_at(people, cutoff)
    before = records[records["event_date"] < cutoff]
    out = pd.DataFrame(index=pd.Index(kids["person_id"], name="person_id"))
    house_of = kids.set_index("person_id")["household_id"]
    for feat in FEATURES:
        chosen = before[(before["category"] == feat.category) & (before["event_date"] >= cutoff - feat.years * YEAR)]
        if feat.statuses:
            chosen = chosen[chosen["status"].isin(feat.statuses)]
        if feat.household:
            counts = chosen.groupby("household_id").size()
            out[feat.name] = house_of.map(counts).fillna(0).to_numpy()
        else:
            out[feat.name] = chosen.groupby("person_id").size().reindex(out.index, fill_value=0)
    out["age"] = ((cutoff - kids.set_index("person_id")["dob"]).dt.days / 365.25).to_numpy()
    out["household_children"] = house_of.map(kids.groupby("household_id").size()).to_numpy()
    attendance = before[before["attendance_pct"].notna() & (before["event_date"] >= cutoff - 2 * YEAR)]
    latest = attendance.sort_values("event_date").groupby("person_id")["attendance_pct"].last()
    out["low_attendance"] = (latest.reindex(out.index) < 90).astype(float).to_numpy()
    after = records[
        (records["category"] == "social_care.referral")
        & (records["event_date"] >= cutoff)
        & (records["event_date"] < cutoff + YEAR)
    ]
    out["label"] = out.index.isin(after["person_id"]).astype(int)
    out["household_id"] = house_of.to_numpy()
    return out.astype({n: np.float64 for n in FEATURE_NAMES})
