"""The storage side of ingest, and the totals ``famlink status`` reports."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from famlink.adapters.storage.bulk import KEYS_AT_ONCE, chunks, delete_rows, insert_rows, rows_with
from famlink.adapters.storage.family.models import Household, Person
from famlink.adapters.storage.sources.models import (
    Extract,
    Organisation,
    QuarantinedRow,
    RepeatedRow,
    Source,
    SourceRecord,
)
from famlink.core.errors import Conflict
from famlink.core.ingest.reader import FileScan
from famlink.core.ingest.repeats import HeldVersion, Repeat, SeenIds, Update, fates, held_records
from famlink.core.ingest.service import (
    Batch,
    ExtractBusy,
    ExtractState,
    PreparedBatch,
)
from famlink.core.sources.definition import SourceDefinition

RECORD_COLUMNS = (
    "local_id", "person_ref", "first_name", "middle_names", "surname", "full_name", "date_of_birth",
    "sex", "address", "postcode", "nhs_number", "upn", "category", "event_date", "status", "note", "sensitive",
)


def register_source(definition: SourceDefinition) -> Source:
    """Create or update the organisation and source a definition describes."""
    organisation, _ = Organisation.objects.update_or_create(
        name=definition.organisation,
        defaults={
            "sector": definition.sector.value,
            "organisation_type": definition.organisation_type.value,
            "contact": definition.contact,
        },
    )
    source, _ = Source.objects.update_or_create(
        name=definition.name,
        defaults={
            "title": definition.title,
            "organisation": organisation,
            "record_categories": [c.value for c in definition.record_categories],
            "lawful_basis": definition.lawful_basis.value,
            "purposes": [p.value for p in definition.purposes],
            "retention_years": definition.retention_years,
            "refresh": definition.refresh.value,
            "schema": definition.raw,
            "definition_sha256": definition.sha256,
        },
    )
    return source


def _state(extract: Extract) -> ExtractState:
    return ExtractState(
        extract_id=extract.pk,
        rows_done=extract.rows_done,
        accepted=extract.accepted,
        quarantined=extract.quarantined,
        complete=extract.status == Extract.Status.COMPLETE,
        repeated=extract.repeated,
        updated=extract.updated,
        file_name=extract.file_name,
    )


class DjangoExtractStore:
    """Writes extracts, records and quarantined rows through the Django ORM."""

    def __init__(self, versions_replaced: Callable[[dict[int, int]], None] | None = None) -> None:
        self._seen: SeenIds | None = None  # the local ids the extract being written has had
        # told, in the extract's last transaction, which records new versions replaced (linkage
        # carries their people over); passed in, since sources sit below linkage
        self._versions_replaced = versions_replaced

    def open_extract(self, definition: SourceDefinition, scan: FileScan) -> ExtractState:
        with transaction.atomic():
            source = register_source(definition)
            # the same content; or, for an extract from before contents were compared, the same bytes
            same = (Extract.objects.filter(source=source, content_sha256=scan.content_sha256).first()
                    or Extract.objects.filter(source=source, file_sha256=scan.sha256).first())
            if same is not None:
                return _state(same)
            try:
                with transaction.atomic():
                    extract, _ = Extract.objects.get_or_create(
                        source=source,
                        content_sha256=scan.content_sha256,
                        defaults={
                            "file_sha256": scan.sha256,
                            "file_name": scan.path.name,
                            "file_format": definition.file_format,
                            "rows_in": scan.rows_in,
                            "ignored_columns": list(scan.ignored_columns),
                            "received_at": timezone.now(),
                        },
                    )
            except IntegrityError:  # another process opened it first
                extract = Extract.objects.get(source=source, content_sha256=scan.content_sha256)
        return _state(extract)

    def preparer(self, state: ExtractState) -> Callable[[Batch], PreparedBatch]:
        extract = Extract.objects.get(pk=state.extract_id)
        self._seen = SeenIds(extract.rows_in)
        if state.rows_done:  # resumed: what an earlier run wrote
            self._seen.add(SourceRecord.objects.filter(extract=extract).values_list("local_id", flat=True).iterator(10_000))
        received = connection.ops.adapt_datetimefield_value(extract.received_at)
        return partial(_prepare, extract.source_id, extract.pk, received)

    def write_batch(self, state: ExtractState, batch: PreparedBatch) -> ExtractState:
        accepted, quarantined = len(batch.records), len(batch.held)
        with transaction.atomic():
            moved = Extract.objects.filter(pk=state.extract_id, rows_done=state.rows_done).update(
                rows_done=batch.last_row,
                accepted=F("accepted") + accepted,
                quarantined=F("quarantined") + quarantined,
            )
            if moved != 1:
                name = Extract.objects.filter(pk=state.extract_id).values_list("file_name", flat=True).first()
                raise ExtractBusy(f"another famlink ingest is loading this extract ({name}) at the same time; "
                                  "let it finish, or run this command again once it has stopped")
            repeated, updated = _write_records(state.extract_id, batch.records, self._seen)
            if repeated or updated:
                Extract.objects.filter(pk=state.extract_id).update(
                    repeated=F("repeated") + repeated, updated=F("updated") + updated)
            insert_rows(QuarantinedRow, HELD_FIELDS, batch.held)
        return dataclasses.replace(state, rows_done=batch.last_row, accepted=state.accepted + accepted,
                                   quarantined=state.quarantined + quarantined, repeated=state.repeated + repeated,
                                   updated=state.updated + updated)

    def complete(self, state: ExtractState) -> ExtractState:
        with transaction.atomic():
            if state.updated and self._versions_replaced is not None:
                self._versions_replaced(_versions_replaced(state.extract_id))
            Extract.objects.filter(pk=state.extract_id).update(status=Extract.Status.COMPLETE, completed_at=timezone.now())
        extract = Extract.objects.get(pk=state.extract_id)
        return _state(extract)

    def discard(self, state: ExtractState) -> bool:
        with transaction.atomic():
            extract = (Extract.objects.select_for_update()
                       .filter(pk=state.extract_id, status=Extract.Status.LOADING, rows_done=state.rows_done).first())
            if extract is None:
                return False
            for model in (RepeatedRow, QuarantinedRow, SourceRecord):
                delete_rows(model, "extract", extract.pk)
            extract.delete()
        return True


RECORD_INSERT_FIELDS = (
    "source_id", "extract_id", "row_number", "version", "received_at", "row_checksum", "attributes",
    "correction_reason", "corrected_by", *RECORD_COLUMNS,
)


#: where a prepared record row has what tells a row sent again (row number, checksum, local id)
ROW_AT, CHECKSUM_AT, LOCAL_ID_AT = (RECORD_INSERT_FIELDS.index(name) for name in ("row_number", "row_checksum", "local_id"))
VERSION_AT, REASON_AT, BY_AT = (RECORD_INSERT_FIELDS.index(name) for name in ("version", "correction_reason", "corrected_by"))
REPEAT_FIELDS = ("extract_id", "row_number", "record_id")


def _write_records(extract_id: int, records: list[Any], seen: SeenIds | None) -> tuple[int, int]:
    """Store a batch's accepted rows: new records as they are, a record already held as a repeat of
    it, a held record with other content as its next version (see famlink.core.ingest.repeats);
    how many repeats and versions. ``seen`` has the ids this extract has had before the batch."""
    if not records:
        return 0, 0
    source_id, ids = records[0][0], [str(row[LOCAL_ID_AT]) for row in records]
    ask_about: set[str] | None = None  # the local ids to look up: None for all of them
    if seen is not None and not Extract.objects.filter(source_id=source_id, status=Extract.Status.COMPLETE).exists():
        ask_about = set(seen.add(ids))  # the source's first extract: only ids it may have had are looked up
        if not ask_about or (len(set(ids)) == len(ids) and not _versions(source_id, extract_id, ask_about)):
            insert_rows(SourceRecord, RECORD_INSERT_FIELDS, records)  # the usual case there: every id new
            return 0, 0
    repeated = updated = 0
    while records:
        keys = [(local_id, row[CHECKSUM_AT]) for local_id, row in zip(ids, records, strict=True)]
        wanted = set(ids) if ask_about is None else set(ids) & ask_about
        decided = fates(keys, held_records(_versions(source_id, extract_id, wanted)))
        done, records, ids = records[:len(decided)], records[len(decided):], ids[len(decided):]
        versions = _as_versions([(row, fate) for row, fate in zip(done, decided, strict=True) if isinstance(fate, Update)])
        repeats = [(extract_id, row[ROW_AT], fate.record_id) for row, fate in zip(done, decided, strict=True) if isinstance(fate, Repeat)]
        insert_rows(SourceRecord, RECORD_INSERT_FIELDS, [row for row, fate in zip(done, decided, strict=True) if fate is None])
        if versions:
            insert_rows(SourceRecord, (*RECORD_INSERT_FIELDS, "supersedes_id"), versions)
        insert_rows(RepeatedRow, REPEAT_FIELDS, repeats)
        repeated, updated = repeated + len(repeats), updated + len(versions)
    return repeated, updated


def _versions(source_id: int, extract_id: int, local_ids: set[str]) -> list[HeldVersion]:
    """Every version held under these local ids: in complete extracts of the source, or written
    earlier from this one (an extract still loading from another file is not held yet)."""
    found = rows_with(SourceRecord, ("local_id", "id", "version", "row_checksum", "supersedes_id", "extract_id"),
                      {"source": source_id}, "local_id", list(local_ids))
    if not found:
        return []
    held = set(Extract.objects.filter(source_id=source_id, status=Extract.Status.COMPLETE).values_list("pk", flat=True))
    held.add(extract_id)
    return [HeldVersion(*row[:5]) for row in found if row[5] in held]  # type: ignore[arg-type]


def _as_versions(updates: list[tuple[tuple[Any, ...], Update]]) -> list[tuple[Any, ...]]:
    """Prepared record rows made the next versions of the records they update (with ``supersedes_id``)."""
    if not updates:
        return []
    replaced = {fate.supersedes_id: row for row, fate in updates}
    for chunk in chunks(replaced, KEYS_AT_ONCE):
        for old, taken_by in SourceRecord.objects.filter(supersedes_id__in=chunk).values_list("supersedes_id", "extract__file_name")[:1]:
            # only an extract still loading from another file can have changed it since: one at a time
            raise Conflict(f"data row {replaced[old][ROW_AT]:,} changes a record that {taken_by}, an extract still "
                           "loading, changes too: run famlink ingest on that file again to finish it first")
    source = Source.objects.select_related("organisation").get(pk=updates[0][0][0])
    reason = f"{source.organisation.name} sent this record again with changes."
    out = []
    for row, fate in updates:
        changed = list(row)
        changed[VERSION_AT], changed[REASON_AT], changed[BY_AT] = fate.version, reason, source.name
        out.append((*changed, fate.supersedes_id))
    return out


def _versions_replaced(extract_id: int) -> dict[int, int]:
    """Old record id -> the id of the version in this extract that replaces it."""
    return dict(SourceRecord.objects.filter(extract_id=extract_id, supersedes__isnull=False)
                .values_list("supersedes_id", "pk"))


RECORD_EMPTIES = tuple(
    (name, None if name in {"date_of_birth", "event_date"} else False if name == "sensitive" else "") for name in RECORD_COLUMNS
)
DATE_POSITIONS = tuple(RECORD_COLUMNS.index(name) for name in ("date_of_birth", "event_date"))
HELD_FIELDS = ("extract_id", "row_number", "column", "reason", "raw")


def _json(value: dict[str, object]) -> str:
    # anything JSON has no type for (a Parquet decimal, say) is kept as its text, never dropped
    return orjson.dumps(value, default=str).decode()


def _prepare(source_id: int, extract_id: int, received: object, batch: Batch) -> PreparedBatch:
    """Rows exactly as ``insert_rows`` writes them, dates as ISO text (both databases parse it).

    Runs in the validating process: building 26 values a row was half the
    writer's time.
    """
    records = []
    for row in batch.accepted:
        get = row.fields.get
        values = [get(name, empty) for name, empty in RECORD_EMPTIES]
        for at in DATE_POSITIONS:
            if (day := values[at]) is not None:
                values[at] = day.isoformat()
        records.append((source_id, extract_id, row.row_number, 1, received, row.checksum, _json(row.attributes), "", "",
                        *values))
    held = [(extract_id, row.row_number, row.column, row.reason, _json(row.raw)) for row in batch.rejected]
    return PreparedBatch(records, held, [row.column for row in batch.rejected], batch.last_row)


def holdings() -> dict[str, int]:
    """Totals only: what the database holds, with no personal data."""
    complete = Extract.objects.filter(status=Extract.Status.COMPLETE)
    return {
        "sources": Source.objects.count(),
        "extracts": complete.count(),
        "extracts_loading": Extract.objects.filter(status=Extract.Status.LOADING).count(),
        "records": SourceRecord.objects.filter(extract__status=Extract.Status.COMPLETE).count(),
        "quarantined": QuarantinedRow.objects.filter(extract__status=Extract.Status.COMPLETE).count(),
        "persons": Person.objects.filter(status=Person.Status.ACTIVE).count(),
        "households": Household.objects.count(),
    }



def newest_versions(record_ids: Iterable[int]) -> dict[int, int]:
    """Each of these records that a later version replaced (a correction, or the agency sending the
    row again changed) -> its newest version; records never replaced are left out."""
    newest: dict[int, int] = {}
    frontier = {int(pk): int(pk) for pk in record_ids}  # version -> the record asked about
    while frontier:
        found: dict[int, int] = {}
        for chunk in chunks(frontier, KEYS_AT_ONCE):
            for old, new in SourceRecord.objects.filter(supersedes_id__in=chunk).values_list("supersedes_id", "pk"):
                found[new] = frontier[old]
        newest.update({asked: new for new, asked in found.items()})
        frontier = found
    return newest
