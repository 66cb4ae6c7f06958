"""What makes two extract files the same extract: their content, not their bytes."""

from __future__ import annotations

import csv
import io
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from famlink.core.ingest.reader import normalised_text_sha256, scan
from famlink.core.sources.definition import SourceDefinition
from tests.common.extracts import FIXTURES, GP_HEADER

DEFINITION = SourceDefinition.load(FIXTURES / "gp_appointments.toml")

# any cell text, quoted by the csv module where it needs to be (so line ends inside a cell too)
cells = st.lists(st.lists(st.text(st.characters(exclude_characters="\r"), max_size=12), min_size=6, max_size=6),
                 min_size=1, max_size=12)


def _text(rows: list[list[str]], line_end: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows([GP_HEADER, *rows])
    return out.getvalue()


def _pieces(text: str, cuts: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in pairwise(bounds)]


@given(rows=cells, line_end=st.sampled_from(["\r\n", "\r"]), bom=st.booleans(), trailing=st.sampled_from(["", " ", "\t", " \t  "]),
       blank_lines_at_end=st.integers(0, 3), cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_line_ends_a_bom_and_trailing_spaces_do_not_change_the_content(
    rows: list[list[str]], line_end: str, bom: bool, trailing: str, blank_lines_at_end: int, cuts: list[int]
) -> None:
    canonical = _text(rows, "\n")
    variant = ("\ufeff" if bom else "") + canonical.replace("\n", trailing + line_end) + line_end * blank_lines_at_end
    if trailing and any(not line.strip(" \t") for line in canonical.split("\n")[:-1]):
        return  # an empty line given spaces is a line of spaces: a row, its spaces part of it (see docs/sources.md)
    assert normalised_text_sha256(_pieces(variant, cuts)) == normalised_text_sha256([canonical])


@given(rows=cells, row=st.integers(0, 11), column=st.integers(0, 5), extra=st.text(min_size=1, max_size=3).filter(lambda t: t.strip(" \t\r\n")))
def test_a_changed_cell_changes_the_content(rows: list[list[str]], row: int, column: int, extra: str) -> None:
    changed = [list(r) for r in rows]
    changed[row % len(rows)][column] = "x" + changed[row % len(rows)][column] + extra
    assert normalised_text_sha256([_text(changed, "\n")]) != normalised_text_sha256([_text(rows, "\n")])


@hsettings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_the_same_text_in_another_encoding_is_the_same_extract(tmp_path: Path, encoding: str) -> None:
    text = _text([["A1", "Zoë", "Smith", "01/01/2015", "", "ATT"]], "\r\n")
    plain, other = tmp_path / "plain.csv", tmp_path / f"{encoding}.csv"
    plain.write_text(text, encoding="utf-8", newline="")
    other.write_text(text, encoding=encoding, newline="")
    definition = SourceDefinition.from_dict({**DEFINITION.raw, "file": {**DEFINITION.raw["file"], "encoding": encoding}}, where="t")
    assert scan(other, definition).content_sha256 == scan(plain, DEFINITION).content_sha256


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_a_crlf_split_between_two_pieces_is_one_line_end(chunk: int) -> None:
    text = "ref\r\nA1\r\n\r\nA2  \r\n"
    pieces = [text[i:i + chunk] for i in range(0, len(text), chunk)]
    assert normalised_text_sha256(pieces) == normalised_text_sha256(["ref\nA1\n\nA2"])
