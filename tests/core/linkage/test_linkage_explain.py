"""Explanations read as plain English, strongest evidence first."""

from famlink.core.identifiers import nhs_number_is_valid
from famlink.core.linkage.decision import connected_clusters, household_guard
from famlink.core.linkage.explain import explain
from famlink.core.linkage.nicknames import name_group
from famlink.core.linkage.normalise import parse_date, postcode_parts, soundex

LEVELS = [
    {"comparison": "surname", "label": "surnames differ by a letter", "weight": 6.3},
    {"comparison": "postcode", "label": "same postcode", "weight": 4.0},
    {"comparison": "date_of_birth", "label": "same date of birth", "weight": 9.1},
    {"comparison": "email", "label": "email missing", "weight": 0.0},
    {"comparison": "city", "label": "different town", "weight": -1.5},
]


def test_explain_sorted_by_contribution():
    assert explain(LEVELS) == (
        "same date of birth; surnames differ by a letter; same postcode. against: different town"
    )


def test_explain_nothing():
    assert explain([]) == "no evidence either way"


def test_twins_are_held_back():
    twins = [
        {"comparison": "first_name", "label": "different first names", "weight": -4},
        {"comparison": "date_of_birth", "label": "same date of birth", "weight": 9},
        {"comparison": "surname", "label": "same surname", "weight": 6},
    ]
    assert "first names differ" in household_guard(twins)


def test_surname_and_address_alone_never_link():
    household = [
        {"comparison": "first_name", "label": "first name missing", "weight": 0},
        {"comparison": "surname", "label": "same surname", "weight": 8},
        {"comparison": "address", "label": "same address", "weight": 12},
    ]
    assert "household" in household_guard(household)


def test_named_after_a_parent_held_back():
    junior = [
        {"comparison": "first_name", "label": "same first name", "weight": 5},
        {"comparison": "date_of_birth", "label": "different dates of birth", "weight": -9},
        {"comparison": "surname", "label": "same surname", "weight": 6},
        {"comparison": "postcode", "label": "same postcode", "weight": 8},
    ]
    assert household_guard(junior) is not None


def test_clusters_include_singletons():
    clusters = connected_clusters(["b", "a", "c", "d"], [("b", "a"), ("c", "a")])
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_normalisers():
    assert name_group("bill") == name_group("william") == name_group("liam")
    assert name_group("kate") == name_group("catherine") == name_group("katherine")
    assert soundex("robert") == soundex("rupert") == "R163"
    assert postcode_parts("sw1a 1aa")["postcode_sector"] == "SW1A 1"
    assert postcode_parts("2119")["postcode_district"] is None
    assert parse_date("19560409", ("%Y%m%d",)) == "1956-04-09"
    assert parse_date("31/02/2001", ("%d/%m/%Y",)) == "2001-02-31"
    assert parse_date("not a date") is None
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765918")
