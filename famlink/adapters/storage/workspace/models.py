"""What practitioners do in the workspace: open a family for a purpose, hold a caseload,
record information-sharing decisions, acknowledge alerts.

None of these rows is a record about the family from an agency: they are the
council's own working records, each written through a service that asks the
policy door and writes the audit entry in the same transaction.
"""

from __future__ import annotations

from django.db import models

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import BreakGlassAuthorisation, StaffActor
from famlink.adapters.storage.sources.models import Organisation, SourceRecord
from famlink.core.taxonomy import LawfulBasis, Purpose


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]  # type: ignore[attr-defined]


class FamilyOpening(models.Model):
    """A practitioner opened a family: for one purpose, under one case reference, for a while.

    Purpose first: nothing in the family view is shown until one exists, and
    what is shown is what the door allows for its purpose.
    """

    staff = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="openings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="openings",
                               help_text="The person the practitioner opened the family from.")
    purpose = models.CharField(max_length=60, choices=_choices(Purpose))
    case_reference = models.CharField(max_length=60)
    break_glass = models.ForeignKey(BreakGlassAuthorisation, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["staff", "person", "expires_at"], name="opening_by_staff_person")]


class CaseAllocation(models.Model):
    """A member of staff works with a family: the caseload, and the family's professional network."""

    class Part(models.TextChoices):
        LEAD = "lead", "lead practitioner"
        INVOLVED = "involved", "involved"

    staff = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="caseload")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="allocations")
    part = models.CharField(max_length=10, choices=Part.choices, default=Part.INVOLVED)
    contact = models.CharField(max_length=200, blank=True, help_text="How other professionals reach them.")
    case_reference = models.CharField(max_length=60, blank=True)
    from_date = models.DateField()
    to_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "person"], condition=models.Q(to_date__isnull=True),
                                    name="allocation_open_once"),
        ]


class SharingDecision(models.Model):
    """A decision to share or not to share information, with whom, why and on what lawful basis.

    The golden rules of the statutory guidance (Information sharing, HM
    Government 2024): necessary, proportionate, relevant, adequate, accurate,
    timely and secure, and recorded with the reasons.
    """

    class Verdict(models.TextChoices):
        SHARE = "share", "shared"
        NOT_SHARE = "not_share", "not shared"

    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sharing_decisions")
    decided_by = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    recipient = models.CharField(max_length=200, help_text="Who it was shared with (or would have been).")
    recipient_organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="+")
    purpose = models.CharField(max_length=60, choices=_choices(Purpose))
    lawful_basis = models.CharField(max_length=40, choices=_choices(LawfulBasis))
    information = models.TextField(help_text="What was shared, or asked for.")
    reasons = models.TextField(help_text="Why: necessary and proportionate, or why not.")
    parent_told = models.BooleanField(default=True, help_text="False where telling the parent would put a child at risk.")
    not_told_because = models.TextField(blank=True)
    case_reference = models.CharField(max_length=60, blank=True)
    decided_at = models.DateTimeField()
    audit_index = models.BigIntegerField(null=True, blank=True)


class Alert(models.Model):
    """Something new about a family on a member of staff's caseload, until they acknowledge it."""

    class Kind(models.TextChoices):
        NEW_RECORD = "new_record", "new record"
        RECORD_CORRECTED = "record_corrected", "record corrected"
        STATEMENT = "statement", "the family added a statement"
        DISPUTE = "dispute", "the family disputed a record"
        SHARING_DECISION = "sharing_decision", "information-sharing decision"
        BREAK_GLASS = "break_glass", "child-protection access"

    staff = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="alerts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    record = models.ForeignKey(SourceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=300, help_text="What happened, without the record's content.")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["staff", "acknowledged_at", "created_at"], name="alert_inbox")]
