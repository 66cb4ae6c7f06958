"""link-file on messy data it has never seen: heavy corruption, adaptive blocking, date levels."""

import itertools
import json

import pandas as pd
import pytest

from famlink.adapters.linkage import linkage_engine
from famlink.core.linkage.link_file import link_file
from famlink.synth.historical import write_historical

MAPPING = """id = "unique_id"
truth = "cluster"
[columns]
first_name = "first_name"
surname = "surname"
date_of_birth = "dob"
sex = "gender"
postcode = "postcode_fake"
birth_place = "birth_place"
occupation = "occupation"
"""
# Splink's tutorial blocking rules for historical_50k, as column tuples (prefixes included)
TUTORIAL_RULES = [("fn3", "sn4"), ("surname", "dob"), ("first_name", "dob"), ("postcode_fake", "first_name"),
                  ("postcode_fake", "surname"), ("dob", "birth_place"), ("pc3", "dob"), ("pc3", "first_name"),
                  ("pc3", "surname"), ("fn2", "sn2", "year")]


def _tutorial_recall(frame: pd.DataFrame) -> float:
    frame = frame.replace("", None).assign(
        fn3=lambda f: f["first_name"].str[:3], sn4=lambda f: f["surname"].str[:4],
        pc3=lambda f: f["postcode_fake"].str[:3], fn2=lambda f: f["first_name"].str[:2],
        sn2=lambda f: f["surname"].str[:2], year=lambda f: f["dob"].str[:4])
    found: set[tuple[str, str]] = set()
    for rule in TUTORIAL_RULES:
        for _, block in frame.dropna(subset=list(rule)).groupby(list(rule)):
            found.update(itertools.combinations(sorted(block["unique_id"]), 2))
    true = {p for _, g in frame.groupby("cluster") for p in itertools.combinations(sorted(g["unique_id"]), 2)}
    return len(found & true) / len(true)


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("historical")
    write_historical(2_400, 5, folder / "people.csv")  # above the all-pairs limit: blocking is chosen
    (folder / "people.toml").write_text(MAPPING, encoding="utf-8")
    summary = link_file(folder / "people.csv", folder / "people.toml", folder / "clusters.csv",
                        linkage_engine(), report_path=folder / "report.json")
    return folder, summary


def test_heavily_corrupted_records_link_with_precision_and_blocking_beats_the_tutorial(heavy):
    folder, summary = heavy
    quality = summary["quality"]
    tutorial = _tutorial_recall(pd.read_csv(folder / "people.csv", dtype=str, keep_default_na=False))
    assert quality["blocking_recall_ceiling"] >= tutorial + 0.1  # generic rules chosen beat hand-written ones
    assert quality["blocking_recall_ceiling"] >= 0.88
    assert quality["precision"] >= 0.95 and quality["f1"] >= 0.9
    assert summary["blocking"]["how"].startswith("chosen from")
    assert summary["blocking"]["expected_recall"] > 0.9


def test_the_report_file_has_the_chosen_rules_and_the_threshold_estimate(heavy):
    folder, summary = heavy
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["blocking"]["rules"] == summary["blocking_rules"] and report["blocking"]["rules"]
    assert all(row["pairs"] <= report["blocking"]["max_pairs"] for row in report["blocking"]["chosen"])
    assert "expects precision >= 0.98" in report["threshold_reason"]
    point = next(p for p in report["expected_quality"] if p["threshold"] == report["threshold"])
    assert point["precision"] >= 0.98


def test_a_tight_pair_budget_is_kept_and_expert_rules_replace_the_choice(tmp_path):
    write_historical(2_400, 6, tmp_path / "people.csv")
    (tmp_path / "people.toml").write_text(MAPPING, encoding="utf-8")
    tight = link_file(tmp_path / "people.csv", tmp_path / "people.toml", tmp_path / "a.csv", linkage_engine(),
                      max_pairs=5_000, family_guards=False)
    assert tight["pairs_scored"] <= 5_000 * 1.1  # the estimate of new pairs per rule is a sample
    assert tight["family_guards"]["applied"] is False
    # given rules replace the choice at any size: a small file is enough to show it (and quicker)
    write_historical(600, 6, tmp_path / "few.csv")
    (tmp_path / "expert.toml").write_text(
        MAPPING + '[linkage]\nblocking_rules = ["l.surname = r.surname AND l.birth_year = r.birth_year"]\n',
        encoding="utf-8")
    expert = link_file(tmp_path / "few.csv", tmp_path / "expert.toml", tmp_path / "b.csv", linkage_engine())
    assert expert["blocking_rules"] == ["l.surname = r.surname AND l.birth_year = r.birth_year"]
    assert expert["blocking"]["how"] == "given in the mapping"


def _level(comparison: dict, left: dict, right: dict) -> str:
    """The label of the first level whose SQL holds for this pair (as Splink picks it), in DuckDB."""
    import duckdb

    row = {f"{k}_l": v for k, v in left.items()} | {f"{k}_r": v for k, v in right.items()}
    con = duckdb.connect()
    frame = pd.DataFrame([row])  # noqa: F841 - read by DuckDB's replacement scan
    for level in comparison["comparison_levels"]:
        if level["sql_condition"] == "ELSE":
            return level["label_for_charts"]
        if con.execute(f"select coalesce(({level['sql_condition']}), false) from frame").fetchone()[0]:
            return level["label_for_charts"]
    raise AssertionError("no level")


@pytest.mark.parametrize(("typed", "level"), [
    ("1901-03-04", "same date of birth"),
    ("04/03/1901", "same date of birth"),  # another format, the same date
    ("1901-04-03", "dates of birth with day and month swapped"),
    ("1901-03-14", "dates of birth differ by one digit"),
    ("1911-03-04", "dates of birth differ by one digit"),  # a year typo
    ("1901-03-34", "missing"),  # no month has 34 days: unreadable, not a guess
    ("1901-02-31", "dates of birth within a month"),  # impossible but kept: compared, near 4 March
    ("1901-05-01", "dates of birth within a year"),
    ("1931-03-04", "dates of birth differ by one digit"),
    ("1951-08-09", "different dates of birth"),
])
def test_date_of_birth_levels_see_transpositions_typos_and_impossible_dates(typed, level):
    from famlink.adapters.linkage.settings import _Sql, date_of_birth_comparison
    from famlink.core.linkage.normalise import prepare

    prepared = prepare(pd.DataFrame({"record_id": ["a", "b"], "date_of_birth": ["1901-03-04", typed]}))
    columns = ["date_of_birth", "birth_year", "birth_month", "birth_day", "birth_days"]
    left, right = (prepared.loc[i, columns].to_dict() for i in (0, 1))
    if level == "missing":
        assert right["date_of_birth"] is None
        return
    assert _level(date_of_birth_comparison(_Sql("duckdb")), left, right) == level


@pytest.mark.parametrize(("first", "second", "level"), [
    ("1890-02-31", "1890-02-31", "same date of birth"),
    ("1890-02-31", "1890-02-21", "dates of birth differ by one digit"),
    ("1890-02-30", "1890-02-28", "dates of birth within a month"),
    ("1890-02-31", "1890-03-02", "dates of birth within a month"),
    ("1890-02-31", "1891-02-27", "dates of birth within a year"),
    ("1890-02-31", "1895-07-02", "different dates of birth"),
])
def test_impossible_dates_are_kept_and_compared_as_near_misses(first, second, level):
    from famlink.adapters.linkage.settings import _Sql, date_of_birth_comparison
    from famlink.core.linkage.normalise import prepare

    prepared = prepare(pd.DataFrame({"record_id": ["a", "b"], "date_of_birth": [first, second]}))
    columns = ["date_of_birth", "birth_year", "birth_month", "birth_day", "birth_days"]
    left, right = (prepared.loc[i, columns].to_dict() for i in (0, 1))
    assert left["date_of_birth"] == first  # kept as typed, not missing
    assert _level(date_of_birth_comparison(_Sql("duckdb")), left, right) == level


@pytest.mark.parametrize(("typed", "sex"), [
    ("M", "m"), ("male", "m"), (" Male. ", "m"), ("1", "m"), ("F", "f"), ("female", "f"), ("2", "f"),
    ("u", None), ("?", None), ("unknown", None), ("9", None), ("n/a", None), ("", None), (None, None),
])
def test_sex_is_normalised_and_junk_is_missing(typed, sex):
    from famlink.core.linkage.normalise import clean_sex

    assert clean_sex(typed) == sex
