"""The family guards apply unless the records plainly show no families."""

from __future__ import annotations

import pandas as pd

from famlink.core.linkage.decision import (
    FIRST_NAMES_DIFFER,
    family_guards,
    guard_reasons,
    household_structure,
)
from famlink.core.linkage.engine import standard_table
from famlink.core.linkage.normalise import prepare


def _prepared(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """(first name, surname, date of birth, postcode) rows as ``prepare`` makes them."""
    return prepare(standard_table(pd.DataFrame({
        "record_id": [str(i) for i in range(len(rows))],
        "first_name": [r[0] for r in rows], "surname": [r[1] for r in rows],
        "date_of_birth": [r[2] for r in rows], "postcode": [r[3] for r in rows]})))


def _family(surname: str, postcode: str, twins: bool) -> list[tuple[str, str, str, str | None]]:
    rows = [("Robert", surname, "1975-03-02", postcode), ("Susan", surname, "1977-08-19", postcode),
            ("Oliver", surname, "2005-01-10", postcode)]
    if twins:
        rows += [("Amelia", surname, "2009-06-01", postcode), ("Harriet", surname, "2009-06-01", postcode)]
    return rows


def test_families_with_twins_keep_the_guards() -> None:
    rows = [r for i in range(6) for r in _family(f"Surname{'abcdef'[i]}", f"LS{i} 1AA", twins=True)]
    rows += rows[:4]  # duplicates of people count once
    structure = household_structure(_prepared(rows))
    assert structure["twin_like_pairs"] == 6
    assert structure["household_pairs"] == 6 * 9  # 10 pairs a family, one of them the twins
    assert family_guards(structure)[0] is True


def test_duplicates_with_replaced_first_names_lift_the_guards() -> None:
    people = [("Jack", "Broadby", "1919-04-11", "2226"), ("Ella", "Carraill", "1911-03-16", "2830"),
              ("Daniel", "Tow", "1931-07-24", "5089"), ("Maddison", "Giordano", "1962-11-21", "3429"),
              ("Joshua", "Harbottle", "1993-03-24", "5098"), ("Eboni", "Pantazopoulos", "1986-08-07", "2325")]
    replaced = ["Tate", "William", "Peta", "Jaden", "Fergus", "Chloe"]
    rows = people + [(new, *person[1:]) for new, person in zip(replaced, people, strict=True)]
    structure = household_structure(_prepared(rows))
    assert (structure["twin_like_pairs"], structure["household_pairs"]) == (6, 0)
    applied, reason = family_guards(structure)
    assert applied is False and "no family structure" in reason


def test_without_a_place_or_date_of_birth_the_guards_stay() -> None:
    rows = [("Tate", "Broadby", "1919-04-11", None), ("Jack", "Broadby", "1919-04-11", None)] * 5
    structure = household_structure(_prepared(rows))
    assert structure["place"] is None
    assert family_guards(structure)[0] is True


def test_a_few_twin_like_pairs_are_too_few_to_tell() -> None:
    structure = {"place": "postcode", "twin_like_pairs": 3, "household_pairs": 0}
    assert family_guards(structure)[0] is True


def test_guards_off_hold_nothing_back() -> None:
    twins = pd.DataFrame({"label_first_name": ["different first names"], "w_first_name": [-4.0],
                          "label_date_of_birth": ["same date of birth"], "w_date_of_birth": [9.0]})
    names = ["first_name", "date_of_birth"]
    assert guard_reasons(twins, names)[0] == FIRST_NAMES_DIFFER
    assert guard_reasons(twins, names, families=False)[0] is None
