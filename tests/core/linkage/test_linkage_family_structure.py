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


def _unplaced(people: list[tuple[str, str, str]]) -> pd.DataFrame:
    return _prepared([(*person, None) for person in people])


_PEOPLE = [("Jack", "Broadby", "1919-04-11"), ("Ella", "Carraill", "1911-03-16"),
           ("Daniel", "Tow", "1931-07-24"), ("Maddison", "Giordano", "1962-11-21"),
           ("Joshua", "Harbottle", "1993-03-24"), ("Eboni", "Pantazopoulos", "1986-08-07"),
           ("Keira", "Wolstenholme", "1944-02-29"), ("Ravi", "Okonkwo", "1977-10-05")]


def test_without_a_place_names_replaced_alike_lift_the_guards() -> None:
    """No postcode or address: duplicates with a replaced first name are matched by as many
    with a replaced surname, which twins cannot give; the file holds no families."""
    new_first = ["Tate", "William", "Peta", "Fergus"]
    new_surname = ["Quigley", "Mbatha", "Lindqvist", "Sorensen", "Ferreira"]
    rows = list(_PEOPLE)
    rows += [(name, *person[1:]) for name, person in zip(new_first, _PEOPLE, strict=False)]
    rows += [(person[0], name, person[2]) for name, person in zip(new_surname, _PEOPLE[3:], strict=True)]
    structure = household_structure(_unplaced(rows))
    assert structure["place"] is None
    assert structure["name_pairs"] == {"surname_shared": 4, "first_name_shared": 5}
    applied, reason = family_guards(structure)
    assert applied is False and "no family structure" in reason


def test_without_a_place_twins_keep_the_guards() -> None:
    """Same surname and date of birth with different first names, far more often than the
    mirror (same first name and date of birth, surnames differ): twins, so the guards stay."""
    twins = [("Amelia", "Broadby", "2009-06-01"), ("Harriet", "Broadby", "2009-06-01"),
             ("Oliver", "Tow", "2011-01-10"), ("Samuel", "Tow", "2011-01-10"),
             ("Noah", "Okonkwo", "2001-05-05"), ("Grace", "Okonkwo", "2001-05-05"),
             ("Leo", "Giordano", "1999-09-09"), ("Mia", "Giordano", "1999-09-09"),
             ("Ruby", "Carraill", "2003-03-03"), ("Zara", "Carraill", "2003-03-03"),
             ("Theo", "Harbottle", "2012-12-12"), ("Ivy", "Harbottle", "2012-12-12"),
             ("Ada", "Pantazopoulos", "2015-04-04"), ("Max", "Pantazopoulos", "2015-04-04"),
             ("Evie", "Wolstenholme", "2008-08-08"), ("Kai", "Wolstenholme", "2008-08-08")]
    surname_replaced = [(p[0], new, p[2]) for p, new in zip(_PEOPLE, ["Quigley", "Mbatha", "Lindqvist",
                                                                    "Sorensen", "Ferreira"], strict=False)]
    structure = household_structure(_unplaced(twins + _PEOPLE + surname_replaced))
    assert structure["name_pairs"] == {"surname_shared": 8, "first_name_shared": 5}
    assert family_guards(structure)[0] is True


def test_without_a_place_too_few_mirror_pairs_keep_the_guards() -> None:
    rows = [*_PEOPLE, ("Tate", *_PEOPLE[0][1:]), (_PEOPLE[1][0], "Quigley", _PEOPLE[1][2])]
    structure = household_structure(_unplaced(rows))
    assert structure["name_pairs"] == {"surname_shared": 1, "first_name_shared": 1}
    assert family_guards(structure)[0] is True


def test_without_a_date_of_birth_the_guards_stay() -> None:
    assert family_guards({"place": None, "twin_like_pairs": 0, "household_pairs": 0})[0] is True
