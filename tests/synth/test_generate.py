"""famlink synth: deterministic, realistic, faulty at the documented rates."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from famlink.core.errors import InvalidInput
from famlink.core.identifiers import nhs_number_is_valid, upn_check_letter, upn_is_valid
from famlink.core.taxonomy import RecordCategory, RecordStatus, Sector
from famlink.synth import SynthSummary, generate
from famlink.synth.families import FLED_AT, FLED_EVERY
from famlink.synth.faults import (
    DNA_MISRECORDED_RATE,
    DUPLICATE_RATE,
    INVALID_ROW_RATE,
    NAME_TYPO_RATE,
    NHS_MISSING_RATE,
    WRONG_PERSON_RATE,
)
from famlink.synth.identifiers import mistype_nhs_number, nhs_number

FAMILIES = 1000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth")
    calls: list[tuple[int, int]] = []
    summary = generate(FAMILIES, 42, out, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, FAMILIES) and calls[-1] == (FAMILIES, FAMILIES)
    return out, summary


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def definitions(out: Path) -> dict[str, dict]:
    return {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
        for p in sorted((out / "sources").glob("*.toml"))
    }


def extracts(out: Path) -> dict[str, list[dict[str, str]]]:
    return {p.stem: read(p) for p in sorted((out / "extracts").glob("*.csv"))}


def faults_by_key(out: Path) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in read(out / "faults.csv"):
        found[(row["source"], row["record_key"])].add(row["fault"])
    return found


def problems(definition: dict, row: dict[str, str]) -> list[str]:
    """What an ingest following docs/sources.md would quarantine the row for."""
    found = []
    for name, column in definition["columns"].items():
        value = row[name]
        if value == "":
            if column.get("required"):
                found.append(f"{name} empty")
            continue
        value = column.get("map", {}).get(value, value)
        if column.get("type") == "date":
            for fmt in column.get("formats", ["%Y-%m-%d"]):
                try:
                    datetime.strptime(value, fmt)
                    break
                except ValueError:
                    pass
            else:
                found.append(f"{name} not a date")
        if column.get("type") == "integer" and not value.isdigit():
            found.append(f"{name} not an integer")
        if column.get("type") == "boolean" and value not in ("true", "false"):
            found.append(f"{name} not a boolean")
        if "allowed" in column and value not in column["allowed"]:
            found.append(f"{name} not allowed")
        if column["field"] == "nhs_number" and not nhs_number_is_valid(value):
            found.append(f"{name} bad check digit")
        if column["field"] == "upn" and not upn_is_valid(value):
            found.append(f"{name} bad UPN")
    return found


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(150, 7, first)
    generate(150, 7, second)
    generate(150, 8, other)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 7 + 7 + 3
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "truth.csv").read_bytes() != (other / "truth.csv").read_bytes()


def test_every_extract_has_a_definition_in_the_documented_format(run) -> None:
    out, summary = run
    defs = definitions(out)
    data = extracts(out)
    assert set(defs) == set(data) == set(summary.rows)
    assert len(defs) >= 6
    categories = {c.value for c in RecordCategory}
    statuses = {s.value for s in RecordStatus}
    formats = set()
    for name, definition in defs.items():
        source, file = definition["source"], definition["file"]
        assert source["name"] == name
        assert Sector(source["sector"])
        assert set(source["record_categories"]) <= categories
        assert file["key"] in definition["columns"]
        with open(out / "extracts" / f"{name}.csv", encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == list(definition["columns"])
        keys = [row[file["key"]] for row in data[name]]
        assert len(keys) == len(set(keys)) == summary.rows[name] > 0
        for column in definition["columns"].values():
            if column["field"] == "status":
                assert set(column["allowed"]) <= statuses
            if column["field"] == "category":
                assert set(column["allowed"]) <= categories
            if column.get("type") == "date":
                formats.update(column["formats"])
    assert len(formats) >= 6  # each agency writes dates its own way


def test_rows_are_valid_except_the_deliberately_invalid_ones(run) -> None:
    out, summary = run
    defs, faults = definitions(out), faults_by_key(out)
    invalid = 0
    for name, rows in extracts(out).items():
        key = defs[name]["file"]["key"]
        for row in rows:
            found = problems(defs[name], row)
            marked = faults.get((name, row[key]), set()) & {"invalid_date", "nhs_mistyped"}
            assert bool(found) == bool(marked), (name, row, found, marked)
            invalid += bool(found)
    assert 0.001 < invalid / summary.total_rows < 0.006


def test_nhs_numbers_only_in_health_and_upns_only_in_education(run) -> None:
    out, _ = run
    defs, faults = definitions(out), faults_by_key(out)
    people = read(out / "people.csv")
    all_nhs = {p["nhs_number"] for p in people}
    assert len(all_nhs) == len(people)  # unique
    assert all(nhs_number_is_valid(n) for n in all_nhs)
    upns = [p["upn"] for p in people if p["role"] == "child"]
    assert len(upns) == len(set(upns)) and all(upn_is_valid(u) for u in upns)
    assert all(p["upn"] == "" for p in people if p["role"] == "parent")
    for name, rows in extracts(out).items():
        fields = {c: col["field"] for c, col in defs[name]["columns"].items()}
        sector = defs[name]["source"]["sector"]
        assert ("nhs_number" in fields.values()) == (sector == "health")
        assert ("upn" in fields.values()) == (sector == "education")
        key = defs[name]["file"]["key"]
        for row in rows:
            if sector != "health":
                assert not set(row.values()) & all_nhs, row
            for column, field in fields.items():
                if field == "nhs_number" and row[column]:
                    mistyped = "nhs_mistyped" in faults.get((name, row[key]), set())
                    assert nhs_number_is_valid(row[column]) != mistyped


def test_truth_covers_every_row_exactly_once(run) -> None:
    out, summary = run
    defs = definitions(out)
    truth = read(out / "truth.csv")
    people = {p["person_id"]: p for p in read(out / "people.csv")}
    assert len(people) == summary.persons
    assert summary.truth_path == out / "truth.csv"
    assert list(truth[0]) == [
        "source", "record_key", "person_id", "household_id", "wrong_person", "true_status",
    ]  # fmt: skip
    pairs = [(t["source"], t["record_key"]) for t in truth]
    assert len(pairs) == len(set(pairs)) == summary.total_rows
    rows = {
        (name, row[defs[name]["file"]["key"]]) for name, rs in extracts(out).items() for row in rs
    }
    assert set(pairs) == rows
    for t in truth:
        assert people[t["person_id"]]["household_id"] == t["household_id"]
        assert t["wrong_person"] in ("0", "1")
    households = {p["household_id"] for p in people.values()}
    assert len(households) == FAMILIES


def test_fault_rates_are_near_the_documented_rates(run) -> None:
    out, summary = run
    counts = Counter(row["fault"] for row in read(out / "faults.csv"))
    total = summary.total_rows
    health = summary.rows["gp_registrations"] + summary.rows["hospital_appointments"]
    assert counts["name_typo"] == pytest.approx(NAME_TYPO_RATE * total, rel=0.25)
    assert counts["duplicate"] == pytest.approx(DUPLICATE_RATE * total, rel=0.4)
    assert counts["invalid_date"] == pytest.approx(INVALID_ROW_RATE * total, rel=0.5)
    # only people with another household member can be mis-keyed
    assert (
        0.5 * WRONG_PERSON_RATE * total < counts["wrong_person"] < 1.4 * WRONG_PERSON_RATE * total
    )
    assert counts["nhs_missing"] == pytest.approx(NHS_MISSING_RATE * health, rel=0.1)
    for fault in ("nickname", "dob_day_month_swapped", "stale_address", "nhs_mistyped"):
        assert counts[fault] > 0, fault
    truth = read(out / "truth.csv")
    assert sum(t["wrong_person"] == "1" for t in truth) >= counts["wrong_person"]


def test_duplicates_are_resends_with_a_new_key(run) -> None:
    out, _ = run
    defs, faults = definitions(out), faults_by_key(out)
    rows = extracts(out)["hospital_appointments"]
    key = defs["hospital_appointments"]["file"]["key"]
    for i, row in enumerate(rows):
        if "duplicate" in faults.get(("hospital_appointments", row[key]), set()):
            original = rows[i - 1]
            assert original[key] != row[key]
            assert {**original, key: ""} == {**row, key: ""}


def test_cancelled_by_hospital_recorded_as_did_not_attend(run) -> None:
    out, _ = run
    truth = {t["record_key"]: t for t in read(out / "truth.csv")}
    cancelled = [
        r for r in read(out / "extracts" / "hospital_appointments.csv")
        if truth[r["appt_ref"]]["true_status"] == "cancelled_by_provider"
    ]  # fmt: skip
    shown_dna = sum(r["outcome"] == "DNA" for r in cancelled)
    assert shown_dna > 0
    assert shown_dna / len(cancelled) == pytest.approx(DNA_MISRECORDED_RATE, abs=0.1)


def test_families_include_twins_same_names_and_step_families(run) -> None:
    out, _ = run
    people = read(out / "people.csv")
    by_household: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in people:
        by_household[p["household_id"]].append(p)
    twins = same_name = 0
    for members in by_household.values():
        kids = [m for m in members if m["role"] == "child"]
        births = Counter(k["dob"] for k in kids)
        if any(n >= 2 for n in births.values()):
            pair = [k for k in kids if births[k["dob"]] >= 2]
            assert pair[0]["first_name"] != pair[1]["first_name"]
            twins += 1
        parents = {(m["first_name"], m["surname"]) for m in members if m["role"] == "parent"}
        same_name += any((k["first_name"], k["surname"]) in parents for k in kids)
    assert twins >= 5
    assert 2 <= same_name <= 0.03 * FAMILIES
    kinds = Counter(p["family_kind"] for p in people if p["role"] == "parent")
    assert set(kinds) == {"couple", "lone_parent", "step"}
    ethnicities = Counter(p["ethnicity"] for p in people)
    assert ethnicities["white"] / len(people) == pytest.approx(0.8, abs=0.08)
    kids = [p for p in people if p["role"] == "child"]
    assert sum(k["disability"] == "yes" for k in kids) / len(kids) == pytest.approx(0.08, abs=0.03)


def test_context_loss_cases_are_present(run) -> None:
    out, _ = run
    data = extracts(out)
    referrals = [r for r in data["childrens_social_care"] if r["event_type"] == "REF"]
    outcomes = Counter(r["outcome"] for r in referrals)
    assert outcomes["UNSUB"] > 0 and outcomes["NFA"] > outcomes["SUB"]
    old = [r for r in data["childrens_social_care"] if r["event_date"] < "1998"]
    assert old  # records from a parent's own childhood, decades ago
    assert any(r["sensitive"] == "true" for r in data["housing"])
    assert all(r["nhs_no"] == "" or len(r["nhs_no"]) == 10 for r in data["gp_registrations"])


def test_referrals_follow_risk_at_a_realistic_rate(run) -> None:
    out, _ = run
    people = {p["person_id"]: p for p in read(out / "people.csv")}
    truth = {t["record_key"]: t for t in read(out / "truth.csv")}
    referred: Counter[str] = Counter()
    for r in read(out / "extracts" / "childrens_social_care.csv"):
        person = people[truth[r["event_id"]]["person_id"]]
        if r["event_type"] == "REF" and person["role"] == "child":
            referred["deprived" if int(person["deprivation_decile"]) <= 3 else "other"] += 1
    kids = Counter(
        "deprived" if int(p["deprivation_decile"]) <= 3 else "other"
        for p in people.values()
        if p["role"] == "child"
    )
    child_years = 0.0
    for p in people.values():
        if p["role"] == "child":
            born = date.fromisoformat(p["dob"]).toordinal()
            start, end = max(born, date(1998, 1, 1).toordinal()), min(born + 6574, 739616)
            child_years += max(0, end - start) / 365.25
    rate = sum(referred.values()) / child_years
    assert 0.01 < rate < 0.06
    assert referred["deprived"] / kids["deprived"] > 1.5 * referred["other"] / kids["other"]


def test_identifier_check_digits() -> None:
    assert nhs_number_is_valid("9434765919")  # NHS Digital's published example
    assert not nhs_number_is_valid("9434765918")
    number = nhs_number(12345)
    assert nhs_number_is_valid(number)
    assert all(not nhs_number_is_valid(mistype_nhs_number(number, k)) for k in range(200))
    assert upn_check_letter("801200005001") == "B"  # python-stdnum's documented example
    assert upn_is_valid("B801200005001")
    assert not upn_is_valid("A801200005001")


@pytest.mark.parametrize(
    ("families", "seed"), [(0, 1), (1_000_000, 1), (10, -1), ("10", 1), (True, 1)]
)
def test_bad_arguments_are_refused_clearly(tmp_path: Path, families, seed) -> None:
    with pytest.raises(InvalidInput):
        generate(families, seed, tmp_path)


@pytest.mark.parametrize("families", [100, 300])
def test_every_demo_size_has_a_mother_who_took_the_children_to_a_refuge(tmp_path: Path, families: int) -> None:
    """The demo's sizes (issue 14): a couple part; she and the children go to a refuge, he stays at home."""
    generate(families, 2026, tmp_path)
    people = {p["person_id"]: p for p in read(tmp_path / "people.csv")}
    truth = {(t["source"], t["record_key"]): t for t in read(tmp_path / "truth.csv")}
    column = {name: {spec["field"]: c for c, spec in d["columns"].items()} for name, d in definitions(tmp_path).items()}
    at: dict[str, set[str]] = defaultdict(set)  # person -> the addresses on their rows
    refuges: set[str] = set()
    for name, rows in extracts(tmp_path).items():
        of = column[name]
        for row in rows:
            address = row[of["address"]].upper() if "address" in of else ""
            if truth[(name, row[of["local_id"]])]["wrong_person"] == "0":
                at[truth[(name, row[of["local_id"]])]["person_id"]].add(address)
            if "sensitive" in of and row[of["sensitive"]] == "true":
                refuges.add(address)
    fled = [h for h in {p["household_id"] for p in people.values()}
            if int(h[1:]) % FLED_EVERY == FLED_AT]
    assert fled and len(fled) == len(range(FLED_AT, families, FLED_EVERY))
    shown = 0
    for household in fled:
        members = [p for p in people.values() if p["household_id"] == household]
        mother = next(p for p in members if p["role"] == "parent" and p["sex"] == "F")
        father = next(p for p in members if p["role"] == "parent" and p["sex"] == "M")
        children = [p for p in members if p["role"] == "child"]
        assert children and all(c["surname"] == father["surname"] == mother["surname"] for c in children)
        assert at[mother["person_id"]] & refuges
        assert not at[father["person_id"]] & refuges  # he never lived there
        shown += any(at[c["person_id"]] & refuges for c in children)
    assert shown  # at least one child has a record made at the refuge, so its address is in their history
