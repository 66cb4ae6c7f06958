"""What the early-help model counts, as plain data: each input's records, statuses and window.

No pandas here: the practitioner workspace explains a flag by these
definitions (the records behind each input), and a web worker never loads
the modelling libraries (tests/web/test_worker_footprint.py).
"""

from __future__ import annotations

from dataclasses import dataclass


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
