"""The records u is counted on: the same ones whatever the backend or the input order."""

from __future__ import annotations

import pandas as pd

from famlink.adapters.linkage.splink_model import U_SAMPLE_PAIRS, u_sample


def _records(n: int) -> pd.DataFrame:
    return pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "surname": [f"s{i % 97}" for i in range(n)]})


def test_the_sample_gives_two_million_pairs_from_the_same_records_in_any_order() -> None:
    records = _records(10_000)
    sample = u_sample(records, seed=42)
    assert len(sample) * (len(sample) - 1) / 2 >= U_SAMPLE_PAIRS
    assert sample["record_id"].is_unique
    shuffled = u_sample(records.sample(frac=1, random_state=1), seed=42)
    assert sorted(shuffled["record_id"]) == sorted(sample["record_id"])
    assert set(u_sample(records, seed=43)["record_id"]) != set(sample["record_id"])


def test_a_small_file_is_its_own_sample() -> None:
    records = _records(500)
    assert u_sample(records, seed=42)["record_id"].tolist() == records["record_id"].tolist()
