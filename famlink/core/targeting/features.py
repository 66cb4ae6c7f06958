"""Features for the early-help model: counts of a child's records before a cutoff.

Every feature is a count a practitioner can check against the records
themselves ("2 A&E visits in the year before 1 January 2023"), so a score
can always be shown with its inputs. The label is a social-care referral
in the 12 months after the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

YEAR = pd.Timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    label: str  # plain English, shown next to the score
    category: str
    statuses: tuple[str, ...] = ()
    years: int = 1
    household: bool = False  # count over everyone in the household, not just the child


FEATURES: tuple[Feature, ...] = (
    Feature("dna_1y", "Hospital appointments recorded as missed, last year", "health.appointment", ("did_not_attend",)),
    Feature("cancelled_1y", "Hospital appointments cancelled, last year", "health.appointment", ("cancelled_by_provider",)),
    Feature("ae_1y", "A&E visits, last year", "health.ae_attendance"),
    Feature("ae_3y", "A&E visits, last 3 years", "health.ae_attendance", years=3),
    Feature("exclusions_3y", "School exclusions, last 3 years", "education.exclusion", years=3),
    Feature("referrals_3y", "Earlier social care referrals, last 3 years", "social_care.referral", years=3),
    Feature("substantiated_3y", "Earlier referrals found substantiated, last 3 years", "social_care.referral", ("substantiated",), years=3),
    Feature("household_referrals_3y", "Referrals of anyone in the household, last 3 years", "social_care.referral", years=3, household=True),
    Feature("household_arrears_3y", "Rent arrears notices in the household, last 3 years", "housing.arrears", years=3, household=True),
    Feature("household_ae_1y", "A&E visits by anyone in the household, last year", "health.ae_attendance", household=True),
    Feature("household_benefits_3y", "Benefit awards in the household, last 3 years", "welfare.benefit", years=3, household=True),
)
EXTRA = {
    "age": "Age at the scoring date",
    "household_children": "Children in the household",
    "low_attendance": "Latest school attendance below 90%",
}
BASELINE_FEATURES = ("referrals_3y", "ae_1y", "dna_1y", "household_arrears_3y")
FEATURE_NAMES = tuple(f.name for f in FEATURES) + tuple(EXTRA)
LABELS = {**{f.name: f.label for f in FEATURES}, **EXTRA}


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
