"""A link's compact evidence reads back exactly as the JSON form it replaced."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.linkage.engine import LinkageResult
from famlink.core.linkage.evidence import (
    IDENTICAL,
    comparisons_from_json,
    comparisons_to_json,
    pack,
    unpack,
)
from famlink.core.linkage.explain import explain
from famlink.core.linkage.packed_links import links_array, pack_by_owner, read, unpack_many, widen

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


# --- a person's links packed into one row (famlink.core.linkage.packed_links) ---

@st.composite
def _links(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Arbitrary links of a run with 0-6 comparisons, each given an owner (a person)."""
    n, k = draw(st.integers(0, 40)), draw(st.integers(0, 6))
    ints = st.integers(-2**63, 2**63 - 1)
    floats = st.floats(allow_nan=False, width=64)
    record_l = draw(st.lists(ints, min_size=n, max_size=n))
    levels = draw(st.lists(st.lists(st.integers(-128, 127), min_size=k, max_size=k), min_size=n, max_size=n))
    weights = draw(st.lists(st.lists(st.floats(width=32), min_size=k, max_size=k), min_size=n, max_size=n))
    links = links_array(
        record_l, draw(st.lists(ints, min_size=n, max_size=n)), draw(st.lists(floats, min_size=n, max_size=n)),
        draw(st.lists(floats, min_size=n, max_size=n)), draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        np.array(levels, dtype="int8").reshape(n, k), np.array(weights, dtype="float32").reshape(n, k))
    owners = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), dtype="int64")
    return links, owners


def _rows(links: np.ndarray) -> list[bytes]:
    return sorted(row.tobytes() for row in links)


@settings(max_examples=200, deadline=None)
@given(_links())
def test_packed_links_come_back_whole_and_under_their_owner(drawn: tuple[np.ndarray, np.ndarray]) -> None:
    links, owners = drawn
    persons, counts, blobs = pack_by_owner(links, owners)
    assert sorted(persons.tolist()) == sorted(set(owners.tolist())) and counts.sum() == len(links)
    assert _rows(unpack_many(blobs)) == _rows(links)  # every link, bit for bit (NaN weights stored as 0)
    for person, count, blob in zip(persons, counts, blobs, strict=True):
        theirs = unpack_many([blob])
        assert len(theirs) == count and _rows(theirs) == _rows(links[owners == person])
        assert theirs["record_l"].tolist() == sorted(theirs["record_l"].tolist())


@settings(max_examples=100, deadline=None)
@given(_links())
def test_a_packed_link_reads_without_numpy_as_its_evidence_blob_does(drawn: tuple[np.ndarray, np.ndarray]) -> None:
    links, owners = drawn
    k = links.dtype["levels"].shape[0] if links.dtype["levels"].shape else 0
    comparisons = [(f"c{i}", {0: "no", 1: "yes"}) for i in range(k)]
    _persons, _counts, blobs = pack_by_owner(links, owners)
    for blob in blobs:
        for link, row in zip(read(blob, comparisons), unpack_many([blob]), strict=True):
            assert (link["record_l"], link["record_r"]) == (row["record_l"], row["record_r"])
            assert link["match_probability"] == row["match_probability"]
            assert link["identical"] == bool(row["flags"])
            if row["flags"]:
                assert link["evidence"] == IDENTICAL
            elif k:
                assert link["evidence"] == unpack(pack(row["levels"][None], row["weights"][None])[0], comparisons)
            else:
                assert link["evidence"] == []


def test_packed_links_say_what_is_wrong_with_a_damaged_or_newer_row() -> None:
    links = links_array([1], [2], [0.99], [7.5], [False], np.ones((1, 2), "int8"), np.ones((1, 2), "float32"))
    _persons, _counts, (blob,) = pack_by_owner(links, [9])
    assert blob[0] == 1 and len(blob) == 3 + 33 + 2 * 5  # version, k, one link
    with pytest.raises(ValueError, match="format version 2"):
        read(b"\x02" + blob[1:], [("a", {}), ("b", {})])
    with pytest.raises(ValueError, match="not whole links"):
        unpack_many([blob[:-1]])
    with pytest.raises(ValueError, match="2 comparisons; their run names 1"):
        read(blob, [("a", {})])
    with pytest.raises(ValueError, match="other comparisons"):
        widen(links, 3)
    assert unpack_many([]).shape == (0,)
