"""One parser for ids and numbers from URLs and settings: ASCII digits, nothing else."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from famlink.core.digits import whole_number
from famlink.core.errors import InvalidInput

ASCII_DIGITS = re.compile(r"[0-9]+")


@settings(max_examples=200, deadline=None)
@given(raw=st.one_of(st.text(), st.integers(min_value=0, max_value=10**30).map(str)))
@example(raw="²")
@example(raw="١٢")
@example(raw="+5")
@example(raw=" 5")
@example(raw="1_0")
@example(raw="0")
def test_whole_number_reads_ascii_digits_and_refuses_the_rest_by_name(raw: str) -> None:
    if ASCII_DIGITS.fullmatch(raw) and int(raw) < 2**63:
        assert whole_number(raw, where="n") == int(raw)
    else:
        with pytest.raises(InvalidInput) as refused:
            whole_number(raw, where="n")
        assert refused.value.where == "n"
