"""The storage side of ingest, and the totals ``famlink status`` reports."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.bulk import delete_rows, insert_rows
from famlink.adapters.storage.family.models import Household, Person
from famlink.adapters.storage.sources.models import (
    Extract,
    Organisation,
    QuarantinedRow,
    Source,
    SourceRecord,
)
from famlink.core.ingest.reader import FileScan
from famlink.core.ingest.service import (
    Batch,
    ExtractBusy,
    ExtractState,
    IngestReport,
    PreparedBatch,
    Progress,
    ingest,
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
    )


class DjangoExtractStore:
    """Writes extracts, records and quarantined rows through the Django ORM."""

    def open_extract(self, definition: SourceDefinition, scan: FileScan) -> ExtractState:
        with transaction.atomic():
            source = register_source(definition)
            try:
                with transaction.atomic():
                    extract, _ = Extract.objects.get_or_create(
                        source=source,
                        file_sha256=scan.sha256,
                        defaults={
                            "file_name": scan.path.name,
                            "file_format": definition.file_format,
                            "rows_in": scan.rows_in,
                            "ignored_columns": list(scan.ignored_columns),
                            "received_at": timezone.now(),
                        },
                    )
            except IntegrityError:  # another process opened it first
                extract = Extract.objects.get(source=source, file_sha256=scan.sha256)
        return _state(extract)

    def preparer(self, state: ExtractState) -> Callable[[Batch], PreparedBatch]:
        extract = Extract.objects.get(pk=state.extract_id)
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
            insert_rows(SourceRecord, RECORD_INSERT_FIELDS, batch.records)
            insert_rows(QuarantinedRow, HELD_FIELDS, batch.held)
        return ExtractState(state.extract_id, batch.last_row, state.accepted + accepted, state.quarantined + quarantined, False)

    def complete(self, state: ExtractState) -> ExtractState:
        Extract.objects.filter(pk=state.extract_id).update(status=Extract.Status.COMPLETE, completed_at=timezone.now())
        extract = Extract.objects.get(pk=state.extract_id)
        return _state(extract)

    def discard(self, state: ExtractState) -> bool:
        with transaction.atomic():
            extract = (Extract.objects.select_for_update()
                       .filter(pk=state.extract_id, status=Extract.Status.LOADING, rows_done=state.rows_done).first())
            if extract is None:
                return False
            for model in (QuarantinedRow, SourceRecord):
                delete_rows(model, "extract", extract.pk)
            extract.delete()
        return True


RECORD_INSERT_FIELDS = (
    "source_id", "extract_id", "row_number", "version", "received_at", "row_checksum", "attributes",
    "correction_reason", "corrected_by", *RECORD_COLUMNS,
)


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


def ingest_extract(definition_path: Path, file_path: Path, *, batch_size: int | None = None, progress: Progress | None = None) -> IngestReport:
    """Load a source definition and ingest one extract file with it."""
    definition = SourceDefinition.load(definition_path)
    size = batch_size or int(config.get("FAMLINK_INGEST_BATCH", "5000") or 5000)
    workers = 2 if (os.cpu_count() or 1) > 1 else 1
    return ingest(definition, file_path, DjangoExtractStore(), batch_size=size, workers=workers, progress=progress)
