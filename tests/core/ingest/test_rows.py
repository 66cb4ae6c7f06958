"""Each row is accepted with clean fields, or quarantined with a reason naming row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.ingest.rows import (
    AcceptedRow,
    RejectedRow,
    RowValidator,
    normalise_postcode,
)
from famlink.core.sources.definition import FIELD_MAXIMA, SourceDefinition, maximum_for
from tests.common.extracts import FIXTURES, valid_nhs_number

DEFINITION = SourceDefinition.load(FIXTURES / "gp_appointments.toml")


def row(**overrides: str) -> dict[str, str]:
    base = {"ref": "A1", "forename": " Amy ", "surname": "Smith", "dob": "03/04/2015", "nhs": valid_nhs_number(3), "outcome": "DNA"}
    base.update(overrides)
    return base


def test_accepts_and_normalises_a_good_row() -> None:
    result = RowValidator(DEFINITION).check(1, row())
    assert isinstance(result, AcceptedRow)
    assert result.fields["first_name"] == "Amy"
    assert result.fields["date_of_birth"] == date(2015, 4, 3)
    assert result.fields["status"] == "did_not_attend"  # the agency's code DNA, mapped
    assert result.fields["category"] == "health.appointment"  # from [defaults]
    assert len(result.checksum) == 64


@pytest.mark.parametrize(
    ("overrides", "column", "words"),
    [
        ({"dob": "31/02/2019"}, "dob", "is not a date in the format %d/%m/%Y"),
        ({"dob": ""}, "dob", "a value is required"),
        ({"ref": " "}, "ref", "a value is required"),
        ({"outcome": "XX"}, "outcome", "'XX' is not an allowed value"),
        ({"nhs": "1234567890"}, "nhs", "not a valid NHS number"),
        ({"nhs": "943476591²"}, "nhs", "not a valid NHS number"),  # '²'.isdigit() is True; int('²') crashed
        ({"dob": "01/01/1850"}, "dob", "outside the years"),
    ],
)
def test_quarantines_with_row_column_and_reason(overrides: dict[str, str], column: str, words: str) -> None:
    result = RowValidator(DEFINITION).check(7, row(**overrides))
    assert isinstance(result, RejectedRow)
    assert result.column == column
    assert result.reason.startswith(f"row 7, column {column!r}: ")
    assert words in result.reason
    assert result.raw["ref"] == row(**overrides)["ref"]  # the row is kept as supplied


def test_postcodes_are_normalised() -> None:
    assert normalise_postcode("ls62ab") == "LS6 2AB"
    assert normalise_postcode(" sw1a 1aa ") == "SW1A 1AA"
    assert normalise_postcode("not a postcode") == "NOT A POSTCODE"  # kept, not dropped


@given(st.dictionaries(st.sampled_from(["ref", "forename", "surname", "dob", "nhs", "outcome"]), st.text(max_size=30)))
def test_any_row_is_either_accepted_or_rejected_never_an_exception(values: dict[str, str]) -> None:
    result = RowValidator(DEFINITION).check(1, values)
    assert isinstance(result, (AcceptedRow, RejectedRow))
    if isinstance(result, RejectedRow):
        assert result.reason.startswith("row 1, column ")


def test_definition_fixture_exists() -> None:
    assert Path(FIXTURES / "gp_appointments.toml").exists()


#: the fields whose values are checked against a format (so cannot be long); the rest hold free text
FORMATTED = {"sex", "nhs_number", "upn", "category", "status"}
TEXT_FIELDS = sorted(set(FIELD_MAXIMA) - FORMATTED)


@given(field=st.sampled_from([*TEXT_FIELDS, "attributes.clinic"]), over=st.integers(1, 10_000), row_number=st.integers(1, 10**7))
def test_a_value_over_its_fields_maximum_is_quarantined_without_its_content(field: str, over: int, row_number: int) -> None:
    column = next((c for c, spec in DEFINITION.raw["columns"].items() if spec["field"] == field), "extra")
    definition = SourceDefinition.from_dict(
        {**DEFINITION.raw, "columns": {**DEFINITION.raw["columns"], column: {"field": field}}}, where="test")
    limit = maximum_for(field)
    assert limit is not None
    value = ("Zed" * (limit + over))[:limit + over]
    result = RowValidator(definition).check(row_number, {**row(), column: value})
    assert isinstance(result, RejectedRow)
    assert result.column == column
    assert result.reason == (f"row {row_number}, column {column!r}: the value has {limit + over:,} characters; "
                             f"{field} holds at most {limit:,}")
    assert isinstance(RowValidator(definition).check(row_number, {**row(), column: value[:limit]}), AcceptedRow)


@given(st.text(min_size=200, max_size=5000))
def test_a_reason_never_carries_a_long_value_whole(value: str) -> None:
    """A long value that is not a date is quarantined saying why, quoting at most its start."""
    result = RowValidator(DEFINITION).check(1, row(dob=value))
    assert isinstance(result, RejectedRow)
    assert value not in result.reason and repr(value) not in result.reason
    assert len(result.reason) < 400


def test_spaces_around_a_value_do_not_change_its_content() -> None:
    """The checksum that tells a repeated row from a changed one ignores spaces around a cell, as ingest does."""
    plain, padded = RowValidator(DEFINITION).check(1, row()), RowValidator(DEFINITION).check(1, row(surname=" Smith  "))
    assert isinstance(plain, AcceptedRow) and isinstance(padded, AcceptedRow)
    assert plain.checksum == padded.checksum
    assert plain.checksum != RowValidator(DEFINITION).check(1, row(surname="Smyth")).checksum  # type: ignore[union-attr]
