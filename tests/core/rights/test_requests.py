"""References families can read out, statements kept as written, outcomes mapped to statuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.errors import InvalidInput
from famlink.core.rights import CLOSED, Outcome, RequestStatus, new_reference, validate_statement
from famlink.core.rights.requests import REFERENCE_ALPHABET, STATEMENT_MAX


def test_references_are_unguessable_and_easy_to_read_aloud() -> None:
    made = {new_reference() for _ in range(2000)}
    assert len(made) == 2000
    for ref in made:
        assert ref.startswith("R-") and len(ref) == 11
        assert set(ref[2:].replace("-", "")) <= set(REFERENCE_ALPHABET)
        assert not set("O0I1L") & set(ref[2:])


def test_every_outcome_closes_the_request() -> None:
    assert {o.status for o in Outcome} <= CLOSED
    assert RequestStatus.RECEIVED not in CLOSED and RequestStatus.IN_PROGRESS not in CLOSED


@given(st.text(max_size=STATEMENT_MAX).filter(lambda t: t.strip() and "\x00" not in t))
def test_a_statement_is_kept_as_written_apart_from_outer_spaces(text: str) -> None:
    assert validate_statement(text) == text.strip()


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_an_empty_statement_is_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(InvalidInput, match="Tell us what is wrong"):
        validate_statement(bad)


def test_an_overlong_statement_says_how_long_it_was() -> None:
    with pytest.raises(InvalidInput, match=f"you used {STATEMENT_MAX + 1:,}"):
        validate_statement("x" * (STATEMENT_MAX + 1))
