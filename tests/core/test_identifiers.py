"""NHS numbers and UPNs: one check rule each, for ingest, linkage and the synthetic agencies."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from famlink.core.identifiers import nhs_number_is_valid, upn_is_valid
from tests.common.extracts import valid_nhs_number


def test_the_published_examples() -> None:
    assert nhs_number_is_valid("9434765919")  # NHS Digital's published example
    assert not nhs_number_is_valid("9434765918")
    assert upn_is_valid("B801200005001")  # python-stdnum's documented example
    assert not upn_is_valid("A801200005001")


@given(st.text(min_size=10, max_size=13))
def test_any_text_is_an_answer_never_a_crash(text: str) -> None:
    """'²' passes str.isdigit() and then crashed int(): an extract cell like that is refused, not a 500."""
    assert nhs_number_is_valid(text) in (True, False)
    assert upn_is_valid(text) in (True, False)


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from("²³¹٣۵߂०১੩૪୬௭౮೯൦๑໒༣၄႕៦᠗"))
def test_a_number_with_any_non_ascii_digit_is_not_valid(seed: int, digit: str) -> None:
    number = valid_nhs_number(seed)
    for position in range(10):
        assert not nhs_number_is_valid(number[:position] + digit + number[position + 1 :])
