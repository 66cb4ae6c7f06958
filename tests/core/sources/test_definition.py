"""A bad source definition is refused with a message naming what and where."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from famlink.core.errors import InvalidInput
from famlink.core.sources.definition import SourceDefinition
from famlink.core.taxonomy import LawfulBasis, Purpose, Sector


def _raw(gp_definition: Path) -> dict:
    return tomllib.loads(gp_definition.read_text())


def test_loads_the_documented_format(gp_definition: Path) -> None:
    definition = SourceDefinition.load(gp_definition)
    assert definition.name == "riverside_gp"
    assert definition.sector is Sector.HEALTH
    assert definition.lawful_basis is LawfulBasis.PUBLIC_TASK
    assert definition.purposes == (Purpose.DIRECT_SERVICE_DELIVERY,)
    assert definition.key_column == "ref"
    assert [c.field for c in definition.columns][:2] == ["local_id", "first_name"]
    assert len(definition.sha256) == 64


def test_documented_example_in_docs_loads() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "sources.md").read_text()
    example = text.split("```toml", 1)[1].split("```", 1)[0]
    definition = SourceDefinition.from_dict(tomllib.loads(example), where="docs/sources.md")
    assert definition.name == "riverside_gp"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["source"].update(sector="space"), "[source] sector 'space' is not one of"),
        (lambda r: r["source"].update(lawful_basis="because"), "lawful_basis 'because'"),
        (lambda r: r["source"].update(purposes=["marketing"]), "[source] purposes 'marketing'"),
        (lambda r: r["source"].update(retention_years=-1), "retention_years"),
        (lambda r: r["source"].update(name="Bad Name"), "must be lower case"),
        (lambda r: r["file"].update(key="nope"), "[file] key 'nope'"),
        (lambda r: r["file"].update(format="xlsx"), "csv or parquet"),
        (lambda r: r["columns"]["dob"].update(field="birthday"), "[columns.dob] field 'birthday'"),
        (lambda r: r["columns"]["dob"].update(type="string"), "[columns.dob] fills date_of_birth"),
        (lambda r: r["columns"]["forename"].update(field="surname"), "fills surname, which forename already fills"),
        (lambda r: r.pop("columns"), "missing the [columns] tables"),
        (lambda r: r["defaults"].update(category="gossip"), "[defaults] category 'gossip'"),
        (lambda r: r["defaults"].update(note="n" * 10_001), "[defaults] note has 10,001 characters; note holds at most 10,000"),
    ],
)
def test_bad_definitions_name_the_problem(gp_definition: Path, change, message: str) -> None:
    raw = _raw(gp_definition)
    change(raw)
    with pytest.raises(InvalidInput) as caught:
        SourceDefinition.from_dict(raw, where="gp.toml")
    assert message in caught.value.text
    assert caught.value.text.startswith("gp.toml: ")


def test_unreadable_definition(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[source\nname=")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        SourceDefinition.load(bad)
    with pytest.raises(InvalidInput, match="not found"):
        SourceDefinition.load(tmp_path / "missing.toml")
