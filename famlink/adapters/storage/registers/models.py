"""Assessments, scoring runs and flag notices.

Register entries themselves are TOML in ``famlink/registers/`` (the live
configuration); these tables hold what happened to them. Nothing here is
edited after it is written: a new assessment is a new row, and the latest
decides whether a model may run.
"""

from __future__ import annotations

from django.db import models


class ModelAssessment(models.Model):
    model_id = models.CharField(max_length=80, db_index=True)
    model_version = models.CharField(max_length=40)
    ran_at = models.DateTimeField()
    passed = models.BooleanField()
    criteria_sha256 = models.CharField(max_length=64)
    period = models.CharField(max_length=100, blank=True)
    headline = models.JSONField(default=dict)
    figures = models.JSONField(default=dict, help_text="Every figure of the assessment, as in assessment.json.")
    report_dir = models.CharField(max_length=500, blank=True)
    assessed_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["model_id", "-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.model_id} {self.ran_at:%Y-%m-%d} {'passed' if self.passed else 'failed'}"


class ScoringRun(models.Model):
    """One attempt to run a model, including attempts the gate refused."""

    model_id = models.CharField(max_length=80, db_index=True)
    ran_at = models.DateTimeField()
    allowed = models.BooleanField()
    state = models.CharField(max_length=20)
    reasons = models.JSONField(default=list)
    candidates = models.PositiveIntegerField(default=0)
    permitted = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=dict, help_text="People the policy door refused, counted by reason.")
    scored = models.PositiveIntegerField(default=0)
    above_threshold = models.PositiveIntegerField(default=0, help_text="Families at or above the threshold.")
    over_capacity = models.PositiveIntegerField(default=0, help_text="Families above the threshold the service cannot take.")
    selected = models.PositiveIntegerField(default=0)
    capacity = models.PositiveIntegerField(default=0)
    threshold = models.FloatField(default=0)

    class Meta:
        ordering = ["-ran_at", "-pk"]


class FlagNotice(models.Model):
    """What a flagged family is told in their portal, and whether they objected."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        OBJECTED = "objected", "the family objected"
        WITHDRAWN = "withdrawn", "withdrawn (model suspended or flag reviewed)"

    run = models.ForeignKey(ScoringRun, on_delete=models.PROTECT, related_name="notices")
    model_id = models.CharField(max_length=80)
    household_ref = models.CharField(max_length=40, help_text="Household public id.")
    person_ref = models.CharField(max_length=40, help_text="Public id of the child whose score flagged the family.")
    score = models.FloatField()
    inputs = models.JSONField(default=list, help_text="The inputs that raised the score, with values, in plain words.")
    title = models.CharField(max_length=200)
    message = models.TextField()
    how_to_object = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    objected_at = models.DateTimeField(null=True, blank=True)
    objection = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["household_ref", "status"])]
