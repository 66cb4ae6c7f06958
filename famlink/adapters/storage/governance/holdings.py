"""Which records belong to a person: linkage's latest complete run decides.

Each linkage run keeps its own ``RecordAssignment`` rows; the person's
records are those assigned to them by the newest run that completed, each in
its current version: a corrected or re-sent record is shown as its newest
version only (the new version carries the old one's assignment, and earlier
versions are its history). Every view reads a person's records here: portal
pages, downloads, the records API, requests and scoring.
"""

from __future__ import annotations

from django.db.models import QuerySet

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.models import LinkageRun, LinkRejection, RecordAssignment
from famlink.adapters.storage.sources.models import SourceRecord


def latest_run_id() -> int | None:
    """The newest complete run's id only: a run row carries the whole Splink model, read on every page otherwise."""
    return (LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).order_by("-pk")
            .values_list("pk", flat=True).first())


def linked_records(person: Person) -> QuerySet[SourceRecord]:
    """The current versions of the records the latest complete linkage run assigned to ``person``
    (none before any run).

    A version that a correction or a later extract replaced is left out here, once,
    for every view. A record someone with authority unlinked from this person (a ``LinkRejection``
    naming the person) leaves at once, not only at the next run.
    """
    run = latest_run_id()
    if run is None:
        return SourceRecord.objects.none()
    ids = RecordAssignment.objects.filter(run_id=run, person=person).values("record")
    rejected = LinkRejection.objects.filter(person=person, withdrawn_at__isnull=True).values("record")
    return SourceRecord.objects.filter(pk__in=ids, superseded_by__isnull=True).exclude(pk__in=rejected)
