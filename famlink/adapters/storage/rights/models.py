"""Rights requests (rectification, context, "not me", subject access) and messages to families.

A request is never deleted or rewritten: its outcome is added to it. The
family's statement is kept as they wrote it and shown beside the record
wherever the record appears (the ``show_disputes`` obligation).
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.rights import Outcome, RequestKind, RequestStatus


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class RightsRequest(models.Model):
    reference = models.CharField(max_length=12, unique=True)
    kind = models.CharField(max_length=30, choices=_choices(RequestKind))
    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="rights_requests",
                                help_text="The person the record or link is about.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(SourceRecord, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="rights_requests", help_text="The record version the family saw.")
    statement = models.TextField(blank=True, help_text="The family's words, as they wrote them.")
    received_at = models.DateTimeField()
    due_on = models.DateField()
    status = models.CharField(max_length=30, choices=_choices(RequestStatus), default=RequestStatus.RECEIVED)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    outcome = models.CharField(max_length=30, choices=_choices(Outcome), blank=True)
    outcome_reason = models.TextField(blank=True, help_text="What the family is told about the outcome.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    corrected_record = models.OneToOneField(SourceRecord, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="correcting_request")

    class Meta:
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["subject", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=RequestKind.SUBJECT_ACCESS) | models.Q(record__isnull=False),
                name="rights_request_names_record"),
        ]

    def __str__(self) -> str:
        return self.reference


class Message(models.Model):
    """A message to a family's account: shown in the portal, and sent by email."""

    to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="famlink_messages")
    request = models.ForeignKey(RightsRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["to", "sent_at"])]
