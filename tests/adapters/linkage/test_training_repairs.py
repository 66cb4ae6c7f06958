"""Repairs to a trained model: agreement is never evidence against a match."""

from __future__ import annotations

import math

from famlink.adapters.linkage.splink_model import _agreement_never_against, is_agreement


def _model(levels: list[dict]) -> dict:
    return {"comparisons": [{"output_column_name": "surname", "comparison_levels": levels}]}


def test_an_agreement_level_em_put_below_u_weighs_nothing_and_m_still_sums_to_one() -> None:
    levels = [
        {"sql_condition": "surname_l IS NULL OR surname_r IS NULL", "is_null_level": True},
        {"sql_condition": "surname_l = surname_r", "m_probability": 0.9, "u_probability": 0.004},
        {"sql_condition": "sound_l = sound_r", "m_probability": 0.0001, "u_probability": 0.001},
        {"sql_condition": "ELSE", "m_probability": 0.0999, "u_probability": 0.995},
    ]
    model = _model(levels)
    _agreement_never_against(model)
    weights = [math.log2(lv["m_probability"] / lv["u_probability"]) for lv in levels if is_agreement(lv)]
    assert min(weights) == 0.0 and weights[0] > 7
    assert math.isclose(sum(lv["m_probability"] for lv in levels[1:]), 1.0)
    assert levels[-1]["m_probability"] < 0.0999  # the different-surname level carries the difference


def test_missing_and_different_levels_are_not_agreement() -> None:
    assert not is_agreement({"sql_condition": "a IS NULL", "is_null_level": True})
    assert not is_agreement({"sql_condition": "ELSE"})
    assert is_agreement({"sql_condition": "a_l = a_r"})
