"""Organisations, the sources they supply, extracts received, and records.

A ``SourceRecord`` is one row as supplied and is never changed. A correction
is a new ``SourceRecord`` with ``version`` one higher that ``supersedes`` the
old one; the old one stays, and shows as superseded. A source's record is
known by its ``local_id``: a row sent again with the same content is a
``RepeatedRow`` of the record already held, and with other content it is the
record's next version (see docs/sources.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from famlink.core.sources.definition import FIELD_MAXIMA
from famlink.core.taxonomy import (
    LawfulBasis,
    OrganisationType,
    RecordCategory,
    RecordStatus,
    Refresh,
    Sector,
    Sex,
)


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.name.replace("_", " ").lower()) for m in enum]  # type: ignore[attr-defined]


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    sector = models.CharField(max_length=40, choices=_choices(Sector))
    organisation_type = models.CharField(max_length=20, choices=_choices(OrganisationType))
    contact = models.CharField(max_length=200, blank=True)
    companies_house_number = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    name = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sources")
    record_categories = models.JSONField(default=list)
    lawful_basis = models.CharField(max_length=40, choices=_choices(LawfulBasis))
    purposes = models.JSONField(default=list)
    retention_years = models.PositiveIntegerField()
    refresh = models.CharField(max_length=20, choices=_choices(Refresh))
    schema = models.JSONField(default=dict, help_text="The column mapping, as defined in the source's TOML.")
    definition_sha256 = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Extract(models.Model):
    """One file received from a source, with the counts that must reconcile."""

    class Status(models.TextChoices):
        LOADING = "loading"
        COMPLETE = "complete"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="extracts")
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes, as received.")
    content_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of what the file says (docs/sources.md: extracts sent again): "
                                 "a file with the same content is this extract, already ingested.")
    file_format = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOADING)
    rows_in = models.PositiveIntegerField(default=0, help_text="Data rows in the file (header excluded).")
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows already accepted or quarantined.")
    accepted = models.PositiveIntegerField(default=0)
    repeated = models.PositiveIntegerField(
        default=0, help_text="Accepted rows that are records already held (same source, local id and content).")
    updated = models.PositiveIntegerField(
        default=0, help_text="Accepted rows stored as the next version of a record already held (same local id, other content).")
    quarantined = models.PositiveIntegerField(default=0)
    ignored_columns = models.JSONField(default=list)
    received_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "content_sha256"], name="extract_content_once_per_source"),
            models.CheckConstraint(
                condition=Q(rows_done=models.F("accepted") + models.F("quarantined")),
                name="extract_counts_reconcile",
            ),
            models.CheckConstraint(
                condition=Q(accepted__gte=models.F("repeated") + models.F("updated")),
                name="extract_repeats_and_updates_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.file_name}"


class SourceRecord(models.Model):
    """One row as supplied (version 1) or a correction of it (version > 1)."""

    # Indexes: every one is a B-tree each ingested row updates, so there are
    # only those a query uses. Records are read by id, by extract (the unique
    # constraint's leading column), by what supersedes them and, for each
    # batch ingested, by key (local id, source: is the row a record already
    # held?); linkage reads them all at once. Add an index with the query that needs it.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records", db_index=False)
    extract = models.ForeignKey(Extract, on_delete=models.PROTECT, related_name="records", db_index=False)
    row_number = models.PositiveIntegerField(help_text="1 is the first data row after the header.")
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    local_id = models.CharField(max_length=FIELD_MAXIMA["local_id"])
    person_ref = models.CharField(max_length=FIELD_MAXIMA["person_ref"], blank=True)
    first_name = models.CharField(max_length=FIELD_MAXIMA["first_name"], blank=True)
    middle_names = models.CharField(max_length=FIELD_MAXIMA["middle_names"], blank=True)
    surname = models.CharField(max_length=FIELD_MAXIMA["surname"], blank=True)
    full_name = models.CharField(max_length=FIELD_MAXIMA["full_name"], blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=FIELD_MAXIMA["sex"], choices=_choices(Sex), blank=True)
    address = models.CharField(max_length=FIELD_MAXIMA["address"], blank=True)
    postcode = models.CharField(max_length=FIELD_MAXIMA["postcode"], blank=True)
    nhs_number = models.CharField(max_length=FIELD_MAXIMA["nhs_number"], blank=True)
    upn = models.CharField(max_length=FIELD_MAXIMA["upn"], blank=True)
    category = models.CharField(max_length=FIELD_MAXIMA["category"], choices=_choices(RecordCategory))
    event_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=FIELD_MAXIMA["status"], choices=_choices(RecordStatus), blank=True)
    note = models.TextField(blank=True, help_text=f"At most {FIELD_MAXIMA['note']:,} characters: ingest quarantines a longer one.")
    sensitive = models.BooleanField(default=False, help_text="Safeguarding-sensitive: never shown to another household member.")
    attributes = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    row_checksum = models.CharField(
        max_length=64, help_text="SHA-256 of the row's cells as supplied, spaces around each aside: with the "
                                 "source and local id, what makes a row sent again the same record.")
    correction_reason = models.TextField(blank=True)
    corrected_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["extract", "row_number", "version"], name="record_row_version_once"),
        ]
        # local id first: a lookup names a few ids, and PostgreSQL, its statistics behind a table
        # growing under an ingest, took the index for the source alone and read every record
        indexes = [models.Index(fields=["local_id", "source"], name="record_key")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.local_id} v{self.version}"


class RepeatedRow(models.Model):
    """A row of an extract that is a record already held: the same source, local id and content.

    It is accepted and counted, and points at that record instead of storing it
    a second time (a cumulative extract repeats most of its rows every month).
    """

    # read by extract (the unique constraint) only, like the records: no index of the record's own
    extract = models.ForeignKey(Extract, on_delete=models.PROTECT, related_name="repeats", db_index=False)
    row_number = models.PositiveIntegerField()
    record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="repeats", db_index=False,
                               help_text="The record's version current when the row arrived.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["extract", "row_number"], name="repeat_row_once"),
        ]


class QuarantinedRow(models.Model):
    """A row that could not be accepted, kept with the reason so nothing is lost."""

    extract = models.ForeignKey(Extract, on_delete=models.PROTECT, related_name="quarantine")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    raw = models.JSONField(help_text="The row as supplied, column by column.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["extract", "row_number"], name="quarantine_row_once"),
        ]
