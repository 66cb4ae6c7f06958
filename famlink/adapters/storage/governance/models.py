"""Who may act, what people have said, and the append-only audit log.

Current state (``Consent``, ``OptOut``) sits beside its full history
(``ConsentEvent``, ``OptOutEvent``): the current row is what the policy door
reads cheaply and what gets row-locked on change; the events are never
updated or deleted. The audit log rows hold the exact bytes that are hashed
plus a few readable columns copied from them so a person's accesses can be
found by index; ``famlink audit verify`` checks the copies against the bytes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.sources.models import Organisation
from famlink.core.audit import AuditEvent, Verdict
from famlink.core.consent import ConsentLevel, ConsentState
from famlink.core.policy import Role
from famlink.core.roles import StaffJob
from famlink.core.taxonomy import Purpose, Sector


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]  # type: ignore[attr-defined]


class OptOutKind(models.TextChoices):
    LINKAGE = "linkage", "linking my records"
    SHARING = "sharing", "sharing my records between services"


class StaffActor(models.Model):
    """A member of staff as the policy door sees them: role, organisation, purposes.

    ``role`` is the member of staff's only role: the page guards read it too
    (``accounts.access.staff_role``); the account holds none.

    ``authoriser_until`` is when their authority to approve break-glass
    ends (None: they have no such authority).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_actor")
    role = models.CharField(max_length=20, choices=_choices(Role))
    job = models.CharField(max_length=40, choices=_choices(StaffJob), blank=True,
                           help_text="What they do (a health visitor, a social worker); blank: their role says it.")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(max_length=40, choices=_choices(Sector), blank=True)
    purposes = models.JSONField(default=list)
    designated_safeguarding_lead = models.BooleanField(default=False)
    authoriser_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Consent(models.Model):
    """A person's current consent for one purpose (optionally one organisation).

    Locked with ``select_for_update`` on every change; ``version`` counts
    the changes, so a lost write shows as a gap in ``ConsentEvent``.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=60, choices=_choices(Purpose))
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, choices=_choices(ConsentLevel))
    state = models.CharField(max_length=20, choices=_choices(ConsentState))
    recorded_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose", "organisation"], name="consent_once_per_purpose_org"
            ),
            models.UniqueConstraint(
                fields=["person", "purpose"], condition=Q(organisation__isnull=True), name="consent_once_per_purpose"
            ),
        ]


class ConsentEvent(models.Model):
    """One change of consent, with the receipt the person can download."""

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="events")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=_choices(ConsentState))
    level = models.CharField(max_length=20, choices=_choices(ConsentLevel))
    occurred_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_by_id = models.CharField(max_length=150)
    decided_by_relation = models.CharField(max_length=60)
    receipt_id = models.UUIDField(unique=True)
    receipt = models.JSONField()
    audit_index = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consent", "version"], name="consent_event_version_once")]
        ordering = ["consent_id", "version"]


class OptOut(models.Model):
    """Whether a person currently opts out of linkage or sharing."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="opt_outs")
    kind = models.CharField(max_length=10, choices=OptOutKind.choices)
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="opt_out_once_per_kind")]


class OptOutEvent(models.Model):
    opt_out = models.ForeignKey(OptOut, on_delete=models.PROTECT, related_name="events")
    version = models.PositiveIntegerField()
    active = models.BooleanField()
    occurred_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=150)
    audit_index = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opt_out", "version"], name="opt_out_event_version_once")]
        ordering = ["opt_out_id", "version"]


class BreakGlassOutcome(models.TextChoices):
    PENDING = "pending"
    UPHELD = "upheld", "justified"
    NOT_UPHELD = "not_upheld", "not justified"


class BreakGlassAuthorisation(models.Model):
    """A child-protection override: why, who used it, who authorised, when reviewed."""

    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glass")
    practitioner = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="break_glass_used")
    authoriser = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="break_glass_authorised")
    justification = models.TextField()
    authoriser_valid_until = models.DateTimeField(help_text="The authoriser's authority, as it stood when they authorised.")
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Access under this authorisation stops after this.")
    review_due = models.DateField()
    reviewed_by = models.ForeignKey(StaffActor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=BreakGlassOutcome.choices, default=BreakGlassOutcome.PENDING)
    review_note = models.TextField(blank=True)
    parent_told_at = models.DateTimeField(null=True, blank=True,
                                          help_text="When the parent was told (the notify_subject obligation).")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(practitioner=models.F("authoriser")), name="break_glass_two_people"),
        ]


class BreakGlassRequest(models.Model):
    """A practitioner asks a named authoriser for child-protection access; the authoriser decides.

    Approving makes the ``BreakGlassAuthorisation`` (checked again by the
    policy at every use); refusing ends the request with a reason.
    """

    class State(models.TextChoices):
        PENDING = "pending", "waiting for the authoriser"
        APPROVED = "approved"
        REFUSED = "refused"
        WITHDRAWN = "withdrawn"

    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glass_requests")
    practitioner = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="break_glass_requested")
    authoriser = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="break_glass_to_decide")
    justification = models.TextField()
    case_reference = models.CharField(max_length=60, blank=True)
    requested_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    authorisation = models.OneToOneField(BreakGlassAuthorisation, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="request")

    class Meta:
        indexes = [models.Index(fields=["authoriser", "state"], name="break_glass_request_inbox")]


class NotificationWithholding(models.Model):
    """A designated safeguarding lead's time-limited decision not to tell the parent yet."""

    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="withholdings")
    decided_by = models.ForeignKey(StaffActor, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    decided_at = models.DateTimeField()
    until = models.DateTimeField()
    re_review_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")


class AuditLogCounter(models.Model):
    """The next free index; only the sequencer (holding the log's lock) moves it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    next_index = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_counter_single_row")]


class AuditLogEntry(models.Model):
    """One audit entry: the hashed bytes, their leaf hash, and readable copies to query by."""

    index = models.BigIntegerField(primary_key=True)
    entry_bytes = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)
    actor_id = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=20)
    organisation = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=60, null=True, blank=True)
    subject_id = models.CharField(max_length=40, null=True, blank=True, db_index=True)
    action = models.CharField(max_length=40, choices=_choices(AuditEvent))
    decision = models.CharField(max_length=5, choices=_choices(Verdict))
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]
        indexes = [models.Index(fields=["actor_id", "occurred_at"])]


class AuditLogPending(models.Model):
    """An entry written ahead, in its access's transaction, and not yet given its place in the log.

    ``facts`` are the entry's canonical bytes without ``index`` (docs/audit.md
    §7). The sequencer moves committed rows into ``AuditLogEntry`` in ``id``
    order and deletes them in the same transaction.
    """

    id = models.BigAutoField(primary_key=True)
    facts = models.BinaryField()


class PublishedTreeHead(models.Model):
    """A signed tree head as published (canonical JSON, see docs/audit.md)."""

    size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=27)
    key_id = models.CharField(max_length=64)
    signed_json = models.TextField()
    published_at = models.DateTimeField()
    #: The RFC 9162 consistency proof from the head published before it (JSON, docs/audit.md §3); empty for the first.
    consistency_json = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["size", "id"]
        indexes = [models.Index(fields=["size", "id"], name="published_head_by_size")]  # the latest, for each proof


class AuditTreeTile(models.Model):
    """Up to 16 hashes of one band of the audit log's Merkle tree (``famlink.core.audit.tiles``).

    Band 0 holds the leaf hashes as they were when the tree was extended (at
    publish), band 1 the hash of each complete subtree of 16 leaves, band 2 of
    256, and so on: a proof reads a few of these rows, whatever the log's size.
    Full tiles never change; each band's last tile grows.
    """

    band = models.PositiveSmallIntegerField()
    number = models.BigIntegerField()
    hashes = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["band", "number"], name="audit_tree_tile_once")]
