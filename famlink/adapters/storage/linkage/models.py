"""What each linkage run decided, kept so every link can be explained and checked.

A run's decisions are never overwritten: each ``LinkageRun`` has its own
record assignments, accepted links and person events, so "who was this record
linked to, when, and why" can be answered for any past run. A ``LinkRejection``
is a human decision and outlives runs: every later run must respect it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.linkage.evidence import Comparisons, unpack
from famlink.core.linkage.packed_links import read as read_packed


class LinkageRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        FAILED = "failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    engine = models.CharField(max_length=20)
    threshold = models.FloatField(null=True, blank=True)
    threshold_reason = models.TextField(blank=True)
    model_version = models.CharField(max_length=80, help_text="File name of the saved Splink model used.")
    model = models.JSONField(default=dict, help_text="The Splink model JSON used (trained or reused).")
    retrained = models.BooleanField(default=False)
    comparisons = models.JSONField(
        default=list, help_text='[[comparison, {level: label}], ...]: what its links\' evidence bytes mean.')
    counts = models.JSONField(default=dict)
    timings = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"linkage run {self.pk} ({self.status})"


class RecordAssignment(models.Model):
    """Which person a record belonged to after one run."""

    # no key has an index of its own: (record, run) serves a record's runs and (run, person) a
    # run's records and a person's records in a run; each index more is a B-tree every run
    # writes a row per record into
    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="assignments", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments", db_index=False)
    match_probability = models.FloatField(
        null=True, blank=True, help_text="Probability of the record's strongest accepted link; none if alone.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "run"], name="assignment_once_per_record_run")]
        indexes = [models.Index(fields=["run", "person"])]


class PairLink(models.Model):
    """An accepted link between two records, with the evidence behind it: runs stored
    before ``PersonLinks`` (and links made by hand); read beside a run's packed links.

    ``evidence`` is compact (5 bytes a comparison) and labelled by the run's
    ``comparisons`` when read; ``explanation_levels`` gives the dicts.
    """

    # indexes: each one more is a B-tree to update per link, and a run writes
    # hundreds of thousands; links are read by run and record_l only
    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="links", db_index=False)
    record_l = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    record_r = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="+")
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    levels = models.JSONField(default=list, help_text='[{"comparison", "level", "label", "weight"}, ...]; '
                              'links stored before compact evidence (and made by hand) only.')
    evidence = models.BinaryField(
        null=True, blank=True,
        help_text="Per comparison of the run: int8 level, then float32 weights (famlink.core.linkage.evidence); "
                  "empty: identical records.")

    class Meta:
        indexes = [models.Index(fields=["run", "record_l"])]

    def explanation_levels(self, comparisons: Comparisons) -> list[dict[str, Any]]:
        """``{"comparison", "level", "label", "weight"}`` per comparison, from whichever form is stored."""
        if self.evidence is None:
            return list(self.levels)
        return unpack(bytes(self.evidence), comparisons)


class PersonLinks(models.Model):
    """One person's accepted links in one run, packed (``famlink.core.linkage.packed_links``).

    Each link is stored under the person its ``record_l`` belongs to in the
    run, including a link to another person's record (a cannot-link
    constraint can split a cluster that links join). One row per person, not
    per link: a run at 100k records writes about 50,000 rows instead of
    225,000. Runs stored before keep their ``PairLink`` rows, read beside these.
    """

    # no index of its own on either key: (run, person) serves every read
    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="packed_links", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    count = models.PositiveIntegerField(help_text="How many links ``links`` holds.")
    links = models.BinaryField(help_text="Header then fixed-width links (famlink.core.linkage.packed_links).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "person"], name="person_links_once_per_run")]

    def read(self, comparisons: Comparisons) -> list[dict[str, Any]]:
        return read_packed(bytes(self.links), comparisons)


class PersonEvent(models.Model):
    """A person created, merged, split or retired by a run, with before and after."""

    class Kind(models.TextChoices):
        CREATED = "created"
        MERGED = "merged"
        SPLIT = "split"
        RETIRED = "retired"

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="linkage_events")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    at = models.DateTimeField()


class LinkRejection(models.Model):
    """A person with authority said: these are not the same person. Outlives runs.

    Either two records (``record`` and ``other_record``) or a record and the
    person it was linked to (``record`` and ``person``): the record must never
    again be clustered with the person's records as they were at rejection.
    """

    record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="rejections")
    other_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person_records = models.JSONField(
        default=list, help_text="Record ids of the person when the rejection was made.")
    rejected_by = models.CharField(max_length=150)
    reason = models.TextField()
    created_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=models.Q(other_record__isnull=False) | models.Q(person__isnull=False),
            name="rejection_names_record_or_person")]


def latest_run() -> LinkageRun | None:
    """The newest complete run; its model JSON is large and rarely needed, so loaded only if asked for."""
    return LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).order_by("-id").defer("model").first()


class RunCommitment(models.Model):
    """What a run's one audit entry commits to: the root of a tree over its per-person leaves (docs/audit.md §9).

    ``leaf_hashes`` holds every leaf hash in tree order, 32 bytes each (9.6 MB
    at 300,000 persons), so a proof rebuilds the run's tree from one row.
    """

    run = models.OneToOneField(LinkageRun, on_delete=models.CASCADE, primary_key=True, related_name="commitment")
    audit_index = models.BigIntegerField(help_text="The run's linkage:run entry in the audit log.")
    size = models.PositiveIntegerField(help_text="How many leaves (persons) the run's tree has.")
    root = models.BinaryField(help_text="The run tree's RFC 9162 root, as the audit entry names it.")
    leaf_hashes = models.BinaryField(help_text="Every leaf hash, 32 bytes each, in tree order.")


class RunLogLeaf(models.Model):
    """One person's leaf of a run's tree: the canonical bytes a parent's proof starts from.

    Keyed by (person, run), the one index: a family's access log reads by
    person, a proof by person and run. ``position`` is the leaf's place in
    the tree (persons in public id order).
    """

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="log_leaves", db_index=False)
    person = models.CharField(max_length=40, help_text="The person's public id, as the leaf names it.")
    position = models.PositiveIntegerField()
    leaf = models.BinaryField(help_text="Canonical JSON (famlink.core.audit.runs.RunLeaf).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "run"], name="run_log_leaf_once_per_run")]
