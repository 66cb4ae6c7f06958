"""A link's compact evidence reads back exactly as the JSON form it replaced."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from famlink.core.linkage.engine import LinkageResult
from famlink.core.linkage.evidence import (
    IDENTICAL,
    comparisons_from_json,
    comparisons_to_json,
    pack,
    unpack,
)
from famlink.core.linkage.explain import explain

LABELS = {
    "first_name": {-1: "first name missing", 2: "same first name", 1: "first names alike", 0: "different first names"},
    "surname": {-1: "surname missing", 1: "same surname", 0: "different surnames"},
    "date_of_birth": {-1: "date of birth missing", 3: "same date of birth", 0: "different dates of birth"},
}


def _pairs() -> pd.DataFrame:
    return pd.DataFrame({
        "record_id_l": ["1", "2", "3"], "record_id_r": ["4", "5", "6"],
        "match_probability": [0.999, 0.97, 0.6], "match_weight": [20.1, 5.0, 0.6],
        "gamma_first_name": np.array([2, 1, -1], dtype="int8"),
        "w_first_name": np.array([5.43219, 0.49999, 0.0], dtype="float32"),
        "gamma_surname": np.array([1, 0, 7], dtype="int8"),  # 7: a level the labels do not know
        "w_surname": np.array([6.0005, -3.25, 1.0], dtype="float32"),
        "gamma_date_of_birth": np.array([3, 3, 0], dtype="int8"),
        "w_date_of_birth": np.array([9.1, 9.1, np.nan], dtype="float32"),
    })


def _as_stored_in_json(result: LinkageResult, rows: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """The evidence as it was stored before it was packed (JSON text, weights rounded to 3 places)."""
    out = []
    for _, row in rows.iterrows():
        levels = []
        for name, labels in result.level_labels.items():
            g = int(row[f"gamma_{name}"])
            weight = float(np.round(np.float64(np.float32(row[f"w_{name}"])), 3))
            levels.append({"comparison": name, "level": g, "label": labels.get(g, str(g)),
                           "weight": 0.0 if np.isnan(weight) else weight})
        out.append(json.loads(json.dumps(levels)))
    return out


def test_packed_evidence_reads_back_as_the_json_it_replaced() -> None:
    pairs = _pairs()
    result = LinkageResult(pairs=pairs, clusters={}, model={}, threshold=0.9, threshold_reason="given",
                           level_labels=LABELS)
    stored = json.loads(json.dumps(comparisons_to_json(result.comparisons(pairs))))  # as a JSON column keeps it
    read = [unpack(blob, comparisons_from_json(stored)) for blob in result.packed_evidence(pairs)]
    assert read == _as_stored_in_json(result, pairs)
    assert [explain(levels) for levels in read] == [explain(levels) for levels in _as_stored_in_json(result, pairs)]
    assert read[0][0] == {"comparison": "first_name", "level": 2, "label": "same first name", "weight": 5.432}
    assert read[2][1]["label"] == "7" and read[2][2]["weight"] == 0.0
    assert explain(read[1]) == "same date of birth; first names alike. against: different surnames"
    assert len(result.packed_evidence(pairs)[0]) == 5 * len(LABELS)


def test_an_empty_blob_is_two_identical_records() -> None:
    assert unpack(b"", []) == IDENTICAL
    with pytest.raises(ValueError):
        pack(np.zeros((1, 0), dtype="int8"), np.zeros((1, 0), dtype="float32"))
    with pytest.raises(ValueError, match="does not fit"):
        unpack(b"\x01\x00\x00\x00\x00", comparisons_from_json([["a", {}], ["b", {}]]))
