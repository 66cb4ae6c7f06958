"""Ingest into the real database: nothing lost, nothing partial, reruns are safe."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.holdings import linked_records
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.adapters.storage.sources.models import (
    Extract,
    QuarantinedRow,
    RepeatedRow,
    SourceRecord,
)
from famlink.adapters.storage.sources.store import DjangoExtractStore, holdings
from famlink.core.errors import FamlinkError, InvalidInput
from famlink.core.ingest.pipeline import WorkerStopped
from famlink.core.ingest.service import ExtractState, PreparedBatch
from famlink.core.sources.definition import maximum_for
from famlink.services.sources.ingest import ingest_extract
from tests.common.extracts import GP_HEADER, gp_row

pytestmark = pytest.mark.django_db


def _nothing_written() -> bool:
    return Extract.objects.count() == 0 and SourceRecord.objects.count() == 0 and QuarantinedRow.objects.count() == 0


def test_five_bad_rows_among_a_hundred(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    rows = [gp_row(i) for i in range(100)]
    rows[3][3] = "31/02/2019"  # no such date
    rows[10][5] = "XX"  # not an outcome code
    rows[20][0] = ""  # no key
    rows[30][4] = "1234567890"  # bad NHS check digit
    rows[40] = rows[40][:4]  # a short row
    report = ingest_extract(gp_definition, write_csv(rows))
    assert (report.rows_in, report.accepted, report.quarantined) == (100, 95, 5)
    assert SourceRecord.objects.count() == 95
    held = {q.row_number: q for q in QuarantinedRow.objects.all()}
    assert sorted(held) == [4, 11, 21, 31, 41]
    assert "column 'dob'" in held[4].reason and "31/02/2019" in held[4].reason
    assert "has 4 cells but the header has 6" in held[41].reason
    assert held[11].raw["outcome"] == "XX"
    extract = Extract.objects.get()
    assert extract.status == Extract.Status.COMPLETE
    assert (extract.rows_in, extract.accepted, extract.quarantined) == (100, 95, 5)


def test_reingesting_the_same_file_is_a_no_op(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv([gp_row(i) for i in range(20)])
    first = ingest_extract(gp_definition, path)
    second = ingest_extract(gp_definition, path)
    assert first.accepted == 20
    assert second.already_ingested and second.accepted == 0 and second.rows_in == 0
    assert SourceRecord.objects.count() == 20


def test_records_keep_their_provenance(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    ingest_extract(gp_definition, write_csv([gp_row(1, outcome="DNA")]))
    record = SourceRecord.objects.select_related("source__organisation", "extract").get()
    assert record.source.organisation.name == "Riverside Health Centre"
    assert record.extract.file_name == "extract.csv"
    assert record.row_number == 1 and record.version == 1
    assert record.status == "did_not_attend"
    assert len(record.row_checksum) == 64


# any script; spaces only as plain spaces (ingest tidies runs of them)
name_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs"), include_characters=" "),
                    min_size=1, max_size=20)


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(name_text, name_text, st.dates(date(1901, 1, 1), date(2099, 12, 31))), min_size=1, max_size=15))
def test_what_a_row_says_is_what_the_record_holds(
    gp_definition: Path, tmp_path_factory: pytest.TempPathFactory, people: list[tuple[str, str, date]]
) -> None:
    """Names in any script and dates across the supported years come back exactly as supplied (spaces tidied)."""
    SourceRecord.objects.all().delete()
    Extract.objects.all().delete()
    rows = [[f"A{i}", first, last, born.strftime("%d/%m/%Y"), "", "ATT"] for i, (first, last, born) in enumerate(people)]
    path = tmp_path_factory.mktemp("names") / "extract.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([GP_HEADER, *rows])
    report = ingest_extract(gp_definition, path)
    stored = {r.row_number: r for r in SourceRecord.objects.all()}
    assert report.accepted + report.quarantined == len(rows)
    for number, (first, last, born) in enumerate(people, start=1):
        if number not in stored:  # quarantined: it must say why
            assert QuarantinedRow.objects.filter(row_number=number).exists()
            continue
        record = stored[number]
        assert (record.first_name, record.surname) == (" ".join(first.split()), " ".join(last.split()))
        assert record.date_of_birth == born and record.local_id == f"A{number - 1}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"ref,forename,surname,dob,nhs,outcome\n", "has a header but no data rows"),
        (b"ref,forename\nA1,Amy\n", "missing columns surname, dob, nhs, outcome"),
        (b"ref,forename,surname,dob,nhs,outcome\nA1,Amy,Smith,01/01/2015,,ATT\nA2,Bo", "looks truncated"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00" * 50, "looks like a binary file"),
        (b"ref,forename,surname,dob,nhs,outcome\nA1,Zo\xe9,Smith,01/01/2015,,ATT\n", "is not valid utf-8 text"),
        (b'ref,forename,surname,dob,nhs,outcome\nA1,"Amy,Smith,01/01/2015,,ATT\n', "malformed CSV"),
    ],
)
def test_file_level_faults_write_nothing(gp_definition: Path, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        ingest_extract(gp_definition, path)
    assert message in caught.value.text
    assert str(path) in caught.value.text
    assert _nothing_written()


def test_parquet_extracts(gp_definition: Path, tmp_path: Path) -> None:
    rows = [gp_row(i) for i in range(30)]
    rows[5][3] = "not a date"
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(GP_HEADER)})
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    report = ingest_extract(gp_definition, path)
    assert (report.rows_in, report.accepted, report.quarantined) == (30, 29, 1)


def test_parquet_values_json_has_no_type_for_are_kept_as_text(gp_definition: Path, tmp_path: Path) -> None:
    """A decimal column (Parquet has them, JSON does not) survives in a quarantined row's raw cells."""
    rows = [gp_row(i) for i in range(3)]
    rows[1][3] = "not a date"
    table = pa.table({**{name: [r[i] for r in rows] for i, name in enumerate(GP_HEADER)},
                      "fee": pa.array([Decimal("12.50")] * 3, type=pa.decimal128(6, 2))})
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    definition = tmp_path / "gp_with_fee.toml"
    definition.write_text(gp_definition.read_text() + '\n[columns.fee]\nfield = "attributes.fee"\n')
    report = ingest_extract(definition, path)
    assert (report.accepted, report.quarantined) == (2, 1)
    assert QuarantinedRow.objects.get().raw["fee"] == "12.50"
    assert {r.attributes["fee"] for r in SourceRecord.objects.all()} == {"12.50"}


def test_a_damaged_parquet_file_writes_nothing(gp_definition: Path, tmp_path: Path) -> None:
    path = tmp_path / "extract.parquet"
    pq.write_table(pa.table({name: ["x"] for name in GP_HEADER}), path)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(InvalidInput, match="not a readable Parquet file"):
        ingest_extract(gp_definition, path)
    assert _nothing_written()


cell = st.one_of(st.text(max_size=12), st.sampled_from(["", "31/02/2019", "DNA", "ATT", "01/01/2015", "9434765919", "x,y", '"']))


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cell, min_size=4, max_size=8), min_size=1, max_size=40))
def test_malformed_rows_are_never_lost(gp_definition: Path, tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> None:
    path = tmp_path_factory.mktemp("h") / "extract.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(GP_HEADER)
        writer.writerows(rows)
    before = (SourceRecord.objects.count(), QuarantinedRow.objects.count())
    try:
        report = ingest_extract(gp_definition, path)
    except InvalidInput:
        assert (SourceRecord.objects.count(), QuarantinedRow.objects.count()) == before  # nothing partial
        return
    assert report.rows_in == report.accepted + report.quarantined
    if not report.already_ingested:
        assert report.rows_in == sum(1 for r in rows if r)  # every non-blank line is a row, none dropped
    extract = Extract.objects.get(pk=report.extract_id)
    assert SourceRecord.objects.filter(extract=extract).count() == extract.accepted
    assert QuarantinedRow.objects.filter(extract=extract).count() == extract.quarantined
    assert all(q.reason for q in QuarantinedRow.objects.filter(extract=extract))


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=400))
def test_arbitrary_bytes_give_a_clear_error_or_reconcile(gp_definition: Path, tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "extract.csv"
    path.write_bytes(b"ref,forename,surname,dob,nhs,outcome\n" + content)
    try:
        report = ingest_extract(gp_definition, path)
    except InvalidInput as error:
        assert error.text.startswith(str(path))
        return
    assert report.rows_in == report.accepted + report.quarantined


def test_a_loading_extract_is_not_counted_as_held(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    ingest_extract(gp_definition, write_csv([gp_row(i) for i in range(10)]))
    Extract.objects.update(status=Extract.Status.LOADING)
    assert holdings()["records"] == 0


#: the name the killed ingest's PostgreSQL connection goes by (libpq reads ``PGAPPNAME``)
KILLED_INGEST = "famlink-test-killed-ingest"


def _wait_for_the_server_to_drop(application_name: str) -> None:
    """A killed client's last COMMIT may still be finishing on the PostgreSQL server; wait until its session is gone,
    so the counts below are read after it, as the rerun would be."""
    if connection.vendor != "postgresql":
        return  # SQLite: the killed process's writes are in the file or not, nothing finishes them later
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the killed ingest's database session did not end within 30 seconds")


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("subprocess")
def test_an_ingest_killed_midway_is_completed_by_a_rerun(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    rows = [gp_row(i) for i in range(30_000)]
    rows[123][3] = "bad date"
    path = write_csv(rows)
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "FAMLINK_INGEST_BATCH": "500", "PGAPPNAME": KILLED_INGEST}
    connection.close()
    famlink = [sys.executable, "-m", "famlink", "ingest", "--source", str(gp_definition), str(path), "--json"]
    child = subprocess.Popen(famlink, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else "ingest exited early"
        extract = Extract.objects.first()
        if extract and extract.rows_done >= 2000:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    _wait_for_the_server_to_drop(KILLED_INGEST)
    extract = Extract.objects.get()
    assert extract.status == Extract.Status.LOADING, "the ingest finished before it could be killed"
    assert 0 < extract.rows_done < 30_000
    assert SourceRecord.objects.count() + QuarantinedRow.objects.count() == extract.rows_done  # consistent at the kill
    rerun = subprocess.run(famlink, env=env, capture_output=True, text=True, check=True)
    assert '"resumed_after_row": ' in rerun.stdout
    extract.refresh_from_db()
    assert extract.status == Extract.Status.COMPLETE
    assert (extract.accepted, extract.quarantined) == (29_999, 1)
    assert SourceRecord.objects.count() == 29_999
    assert SourceRecord.objects.values("row_number").distinct().count() == 29_999  # no duplicates
    assert QuarantinedRow.objects.get().row_number == 124


# -- values too long for their field (issue 14, item 4) ---------------------------------------------------------

#: a column for every record field that holds free text (the other fields are checked against a format)
TEXT_COLUMNS = {"ref": "local_id", "pref": "person_ref", "forename": "first_name", "middle": "middle_names",
                "surname": "surname", "full": "full_name", "addr": "address", "pc": "postcode", "note": "note",
                "clinic": "attributes.clinic"}
EXTRA_HEADER = ["pref", "middle", "full", "addr", "pc", "note", "clinic"]


@pytest.fixture
def every_text_field(gp_definition: Path, tmp_path: Path) -> Path:
    """The GP definition with a column for every free-text record field."""
    path = tmp_path / "gp_every_text_field.toml"
    extra = "".join(f'\n[columns.{column}]\nfield = "{TEXT_COLUMNS[column]}"\n' for column in EXTRA_HEADER)
    path.write_text(gp_definition.read_text() + extra)
    return path


def _text_row(i: int) -> list[str]:
    return [*gp_row(i), f"P{i}", "Jo", f"Amy Jo Smith {i}", "1 High Street", "LS6 2AB", "seen", "north"]


def _clear() -> None:
    RepeatedRow.objects.all().delete()
    QuarantinedRow.objects.all().delete()
    SourceRecord.objects.all().delete()
    Extract.objects.all().delete()


letters = st.characters(codec="utf-8", categories=["L"]).filter(lambda c: len(c.upper()) == 1 and len(c.lower()) == 1)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(sorted(TEXT_COLUMNS)), over=st.integers(1, 300), letter=letters)
def test_any_over_long_value_is_quarantined_naming_row_and_column(
    every_text_field: Path, tmp_path_factory: pytest.TempPathFactory, column: str, over: int, letter: str
) -> None:
    """On SQLite (which would store it) and PostgreSQL (which would refuse it) alike: the row is quarantined,
    the reason names row and column but not the value, and a value exactly at the maximum is accepted."""
    _clear()
    field = TEXT_COLUMNS[column]
    limit = maximum_for(field)
    assert limit is not None
    at_limit, too_long = ((letter + "q7") * (limit + over))[:limit], ((letter + "q7") * (limit + over))[:limit + over]
    rows = [_text_row(i) for i in range(3)]
    header = GP_HEADER + EXTRA_HEADER
    rows[0][header.index(column)], rows[1][header.index(column)] = at_limit, too_long
    path = tmp_path_factory.mktemp("long") / "extract.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    report = ingest_extract(every_text_field, path)
    assert (report.accepted, report.quarantined) == (2, 1)
    held = QuarantinedRow.objects.get()
    assert (held.row_number, held.column) == (2, column)
    assert held.reason.startswith(f"row 2, column {column!r}: ")
    assert f"holds at most {limit:,}" in held.reason
    assert too_long[:9] not in held.reason and too_long[-9:] not in held.reason
    kept = SourceRecord.objects.get(row_number=1)
    stored = kept.attributes["clinic"] if field == "attributes.clinic" else getattr(kept, field)
    assert len(stored) == limit


def test_a_ten_megabyte_first_name_is_quarantined(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    rows = [gp_row(i) for i in range(5)]
    rows[2][1] = "Secretname" * 1_048_576
    report = ingest_extract(gp_definition, write_csv(rows))
    assert (report.accepted, report.quarantined) == (4, 1)
    held = QuarantinedRow.objects.get()
    assert (held.row_number, held.column) == (3, "forename")
    assert "Secretname" not in held.reason
    assert held.reason == "row 3, column 'forename': the value has 10,485,760 characters; first_name holds at most 100"
    assert Extract.objects.get().status == Extract.Status.COMPLETE


def test_a_nul_character_in_a_parquet_value_is_quarantined(gp_definition: Path, tmp_path: Path) -> None:
    """PostgreSQL cannot store a NUL in text; a CSV file with one is refused whole, a Parquet value is quarantined."""
    rows = [gp_row(i) for i in range(3)]
    rows[1][2] = "Smi\x00th"
    path = tmp_path / "extract.parquet"
    pq.write_table(pa.table({name: [r[i] for r in rows] for i, name in enumerate(GP_HEADER)}), path)
    report = ingest_extract(gp_definition, path)
    assert (report.accepted, report.quarantined) == (2, 1)
    held = QuarantinedRow.objects.get()
    assert held.column == "surname" and "NUL" in held.reason
    assert held.raw["surname"] == "Smi\u2400th"  # kept, the NUL shown as the symbol for it


def test_a_whole_number_too_large_to_hold_is_quarantined(gp_definition: Path, tmp_path: Path) -> None:
    definition = tmp_path / "gp_with_visits.toml"
    definition.write_text(gp_definition.read_text() + '\n[columns.visits]\nfield = "attributes.visits"\ntype = "integer"\n')
    rows = [[*gp_row(i), "3"] for i in range(3)]
    rows[1][-1] = "9" * 30
    report = ingest_extract(definition, _csv(tmp_path, rows, [*GP_HEADER, "visits"]))
    assert (report.accepted, report.quarantined) == (2, 1)
    assert QuarantinedRow.objects.get().column == "visits"
    assert {r.attributes["visits"] for r in SourceRecord.objects.all()} == {3}


def _csv(folder: Path, rows: list[list[str]], header: list[str], name: str = "extract.csv") -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_an_ingest_the_database_refuses_midway_leaves_nothing_loading(
    gp_definition: Path, write_csv: Callable[..., Path], refusing_database: Callable[[], None]
) -> None:
    """The second batch fails: what the first wrote is taken back, and no extract is left loading."""
    rows = [gp_row(i) for i in range(30)]
    rows[14][2] = "Refused"
    path = write_csv(rows)
    with pytest.raises(FamlinkError) as caught:
        ingest_extract(gp_definition, path, batch_size=10)
    message = caught.value.text
    assert message.startswith(f"{path}: ") and "data rows 11 to 20" in message and "nothing from this file was kept" in message
    assert "Refused" not in message
    assert _nothing_written()
    refusing_database()  # the cause fixed, the same command completes it
    report = ingest_extract(gp_definition, path, batch_size=10)
    assert (report.resumed_after_row, report.accepted) == (0, 30)
    assert Extract.objects.get().status == Extract.Status.COMPLETE


# -- extracts sent again (issue 14, item 8) ---------------------------------------------------------------------

def test_the_same_extract_sent_again_with_crlf_a_bom_and_trailing_spaces_is_already_ingested(
    gp_definition: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    first = write_csv([gp_row(i) for i in range(50)], name="november.csv")
    resent = tmp_path / "november-again.csv"
    lines = first.read_text(encoding="utf-8").splitlines()
    resent.write_bytes(b"\xef\xbb\xbf" + "".join(f"{line}  \r\n" for line in lines).encode() + b"\r\n")
    assert resent.read_bytes() != first.read_bytes()
    ingested = ingest_extract(gp_definition, first)
    again = ingest_extract(gp_definition, resent)
    assert again.already_ingested and again.extract_id == ingested.extract_id
    assert again.first_received_as == "november.csv"
    assert (again.rows_in, again.accepted) == (0, 0)
    assert SourceRecord.objects.count() == 50 and Extract.objects.count() == 1


def test_an_extract_from_before_contents_were_compared_is_known_by_its_bytes(
    gp_definition: Path, write_csv: Callable[..., Path]
) -> None:
    path = write_csv([gp_row(i) for i in range(5)])
    ingest_extract(gp_definition, path)
    Extract.objects.update(content_sha256=F("file_sha256"))  # as migration sources/0003 leaves it
    assert ingest_extract(gp_definition, path).already_ingested


def _current() -> list[tuple[str, str]]:
    """(local id, status) of each record linkage, and so a parent, is shown."""
    from famlink.services.linkage.input import current_records

    status = dict(SourceRecord.objects.values_list("pk", "status"))
    return sorted((local_id, status[pk]) for pk, local_id in zip(current_records()["id"], current_records()["local_id"], strict=True))


def test_a_new_extract_repeating_earlier_rows_holds_each_record_once(
    gp_definition: Path, write_csv: Callable[..., Path]
) -> None:
    november = [gp_row(i) for i in range(100)]
    december = november[40:] + [gp_row(i) for i in range(100, 130)]  # a cumulative extract: 60 old rows, 30 new
    ingest_extract(gp_definition, write_csv(november, name="november.csv"))
    report = ingest_extract(gp_definition, write_csv(december, name="december.csv"))
    assert not report.already_ingested
    assert (report.rows_in, report.accepted, report.repeated, report.updated, report.quarantined) == (90, 90, 60, 0, 0)
    assert SourceRecord.objects.count() == 130
    current = _current()
    assert len(current) == 130 and len({local_id for local_id, _ in current}) == 130
    extract = Extract.objects.get(pk=report.extract_id)
    assert (extract.accepted, extract.repeated, extract.quarantined) == (90, 60, 0)
    repeats = RepeatedRow.objects.filter(extract=extract).select_related("record__extract")
    assert sorted(r.row_number for r in repeats) == list(range(1, 61))
    for repeat in repeats:  # each repeated row is the record november sent
        assert repeat.record.local_id == december[repeat.row_number - 1][0]
        assert repeat.record.extract.file_name == "november.csv"


def test_a_record_sent_again_with_changes_is_a_new_version_of_it(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    november = [gp_row(i, outcome="DNA") for i in range(5)]
    december = [gp_row(i, outcome="DNA") for i in range(5)]
    december[2] = gp_row(2, outcome="CANC")  # the hospital cancelled it: the agency's record now says so
    december[4:] = [gp_row(4, outcome="CANC"), gp_row(4, outcome="ATT")]  # changed twice in one file
    ingest_extract(gp_definition, write_csv(november, name="november.csv"))
    child = Person.objects.create(display_name="Child", date_of_birth=date(2015, 3, 3))
    run = LinkageRun.objects.create(started_at=timezone.now(), status=LinkageRun.Status.COMPLETE, engine="test", model_version="t")
    RecordAssignment.objects.bulk_create(RecordAssignment(run=run, record=r, person=child) for r in SourceRecord.objects.all())
    report = ingest_extract(gp_definition, write_csv(december, name="december.csv"))
    assert (report.accepted, report.repeated, report.updated) == (6, 3, 3)
    latest = SourceRecord.objects.get(local_id="A2", version=2)
    assert latest.status == "cancelled_by_provider" and latest.supersedes is not None
    assert latest.supersedes.status == "did_not_attend"  # the history stays
    assert latest.correction_reason == "Riverside Health Centre sent this record again with changes."
    assert ("A2", "cancelled_by_provider") in _current() and ("A2", "did_not_attend") not in _current()
    assert len(_current()) == 5
    seen = linked_records(child).filter(superseded_by__isnull=True)  # what the family's page shows, until linkage runs again
    assert sorted(seen.values_list("local_id", "status")) == [
        ("A0", "did_not_attend"), ("A1", "did_not_attend"), ("A2", "cancelled_by_provider"), ("A3", "did_not_attend"),
        ("A4", "attended")]
    assert list(SourceRecord.objects.filter(local_id="A4").order_by("version").values_list("version", "status")) == [
        (1, "did_not_attend"), (2, "cancelled_by_provider"), (3, "attended")]


def test_a_correction_stands_when_the_agency_sends_the_original_again(
    gp_definition: Path, write_csv: Callable[..., Path]
) -> None:
    rows = [gp_row(i, outcome="DNA") for i in range(3)]
    ingest_extract(gp_definition, write_csv(rows, name="november.csv"))
    original = SourceRecord.objects.get(local_id="A1")
    corrected = SourceRecord.objects.get(pk=original.pk)
    corrected.pk = None
    corrected.version, corrected.supersedes, corrected.status = 2, original, "cancelled_by_provider"
    corrected.correction_reason, corrected.corrected_by = "The hospital cancelled it.", "datateam"
    corrected.save()
    report = ingest_extract(gp_definition, write_csv([*rows, gp_row(3)], name="december.csv"))
    assert (report.accepted, report.repeated, report.updated) == (4, 3, 0)
    assert RepeatedRow.objects.get(record__local_id="A1").record == corrected
    assert ("A1", "cancelled_by_provider") in _current() and len(_current()) == 4


def test_a_record_twice_in_one_file_is_one_record(gp_definition: Path, write_csv: Callable[..., Path]) -> None:
    """Within a file too: the same id and content again is the same record; the same id with other content
    is a later version of it. Rows 3 and 4 share a batch with the rows they repeat, row 7 does not."""
    rows = [gp_row(0), gp_row(1), gp_row(0), gp_row(1, outcome="DNA"), gp_row(2), gp_row(3), gp_row(2)]
    report = ingest_extract(gp_definition, write_csv(rows), batch_size=5)
    assert (report.accepted, report.repeated, report.updated) == (7, 2, 1)
    assert _current() == [("A0", "attended"), ("A1", "did_not_attend"), ("A2", "attended"), ("A3", "attended")]
    assert sorted(RepeatedRow.objects.values_list("row_number", "record__row_number")) == [(3, 1), (7, 5)]


def test_a_parquet_extract_written_again_differently_is_already_ingested(gp_definition: Path, tmp_path: Path) -> None:
    """Compression, row groups and string types are how a file is written, not what it says."""
    rows = [gp_row(i) for i in range(40)]
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(GP_HEADER)})
    first, again, changed = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    pq.write_table(table, first, compression="snappy", row_group_size=7)
    pq.write_table(table.cast(pa.schema([(name, pa.large_string()) for name in GP_HEADER])), again,
                   compression="zstd", row_group_size=100)
    rows[39][5] = "DNA"
    pq.write_table(pa.table({name: [r[i] for r in rows] for i, name in enumerate(GP_HEADER)}), changed)
    ingest_extract(gp_definition, first)
    assert ingest_extract(gp_definition, again).already_ingested
    report = ingest_extract(gp_definition, changed)
    assert not report.already_ingested and (report.repeated, report.updated) == (39, 1)


def test_a_resumed_ingest_knows_the_rows_written_before_it_stopped(
    gp_definition: Path, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 13 repeats row 4, which a first run wrote before its row worker died; the rerun carries on."""
    path = write_csv([*(gp_row(i) for i in range(12)), gp_row(3)])
    write_batch = DjangoExtractStore.write_batch

    def dies_at_the_third_batch(self: DjangoExtractStore, state: ExtractState, batch: PreparedBatch) -> ExtractState:
        if state.rows_done == 10:
            raise WorkerStopped("the process reading the file stopped unexpectedly")
        return write_batch(self, state, batch)

    monkeypatch.setattr(DjangoExtractStore, "write_batch", dies_at_the_third_batch)
    with pytest.raises(WorkerStopped):
        ingest_extract(gp_definition, path, batch_size=5)
    assert Extract.objects.get().rows_done == 10  # kept, for the rerun
    monkeypatch.setattr(DjangoExtractStore, "write_batch", write_batch)
    report = ingest_extract(gp_definition, path, batch_size=5)
    assert (report.resumed_after_row, report.accepted, report.repeated) == (10, 3, 1)
    assert SourceRecord.objects.filter(local_id="A3").count() == 1
    assert RepeatedRow.objects.get().record.row_number == 4
