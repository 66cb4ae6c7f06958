"""Taking in an extract: the source definition, the file, and the store that keeps it."""

from __future__ import annotations

import os
from pathlib import Path

from famlink import config
from famlink.adapters.storage.linkage.store import carry_assignments
from famlink.adapters.storage.sources.store import DjangoExtractStore
from famlink.adapters.storage.workspace.alerting import alerts_for_extract
from famlink.core.ingest.service import IngestReport, Progress, ingest
from famlink.core.sources.definition import SourceDefinition


def ingest_extract(definition_path: Path, file_path: Path, *, batch_size: int | None = None,
                   progress: Progress | None = None) -> IngestReport:
    """Load a source definition and ingest one extract file with it; then alert the staff of families it touched."""
    definition = SourceDefinition.load(definition_path)
    size = batch_size or int(config.get("FAMLINK_INGEST_BATCH", "5000") or 5000)
    workers = 2 if (os.cpu_count() or 1) > 1 else 1
    report = ingest(definition, file_path, DjangoExtractStore(versions_replaced=carry_assignments), batch_size=size,
                    workers=workers, progress=progress)
    if not report.already_ingested and report.accepted:
        alerts_for_extract(report.extract_id)  # a few queries for the whole extract, none per row
    return report
