"""Benchmark: an assessment with 1,000 family-bootstrap resamples on 200,000 persons.

    .venv/bin/python bench/assess/assess_bench.py [--persons 200000] [--boot 1000] [--jobs 1]

Synthetic outcomes and scores (about 3.7 children per household, 4% base rate,
seven group attributes) so the figure measures the assessment code, not data loading.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import pandas as pd

from famlink.core.assessment import AssessmentInput, assess
from famlink.core.registers import load_algorithms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.persons
    households = rng.integers(0, n // 2, n)
    risk = rng.normal(0, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3.4 + 0.8 * risk)))).astype(int)
    score = 1 / (1 + np.exp(-(-3.4 + 0.6 * risk + rng.normal(0, 0.5, n))))
    baseline = 1 / (1 + np.exp(-(-3.4 + 0.4 * risk + rng.normal(0, 0.8, n))))
    attrs = pd.DataFrame({
        "ethnicity": rng.choice(["white", "asian", "black", "mixed", "other"], n, p=[0.817, 0.093, 0.04, 0.029, 0.021]),
        "sex": rng.choice(["F", "M"], n),
        "parent_age_band": rng.choice(["under 25", "25-34", "35-44", "45 and over"], n),
        "deprivation": rng.choice(["1-3", "4-7", "8-10"], n),
        "income_band": rng.choice(["under_16k", "16k_to_30k", "30k_to_50k", "over_50k"], n),
        "family_size": rng.choice(["2", "3", "4", "5", "6 or more"], n),
        "disability": rng.choice(["yes", "no"], n, p=[0.08, 0.92]),
    })
    entry = next(e for e in load_algorithms() if e.id == "early-help-v1")
    entry = dataclasses.replace(entry, operating_threshold=0.08)
    started = time.perf_counter()
    figures = assess(entry, AssessmentInput(y, score, baseline, households, attrs), n_boot=args.boot, group_boot=args.boot, jobs=args.jobs)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "persons": n, "families": figures["population"]["families"], "bootstrap_resamples": args.boot,
        "group_bootstrap_resamples": args.boot, "jobs": args.jobs, "seconds": round(seconds, 1),
        "auroc": round(figures["headline"]["auroc"], 4), "load_average": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
