"""The governance side of linkage input: recorded opt-outs, child-protection exemptions.

Linkage asks ``LinkageGate.excluded()`` which records to leave out before it
reads any. A person who opted out of linkage is left out unless a current
child-protection break-glass names them (authorised by two people, not yet
found unjustified on review). Each exclusion and each exemption is written
to the audit log, so a parent can see that their opt-out was honoured, or why
it was not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.governance.audit.append import append_many
from famlink.adapters.storage.governance.models import (
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    OptOut,
    OptOutKind,
)
from famlink.core.audit import AuditEvent, AuditFacts, Verdict
from famlink.core.linkage.consent import Exclusions
from famlink.core.policy import ReasonCode, Role
from famlink.core.taxonomy import DataCategory, Purpose

SYSTEM_ID = "famlink-linkage"


class LinkageGate:
    """A ``LinkageInputFilter`` backed by the stored opt-outs and break-glass records."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]]) -> Exclusions:
        # every active opt-out, then those among these people: opt-outs are few, a run's people many
        # (an IN list of 100,000 ids cost more than the rest of the filter)
        opted = {
            p for p in OptOut.objects.filter(kind=OptOutKind.LINKAGE, active=True)
            .values_list("person__public_id", flat=True) if p in record_ids_by_person
        }
        exempt: dict[str, str] = {}
        current = BreakGlassAuthorisation.objects.filter(
            ~Q(outcome=BreakGlassOutcome.NOT_UPHELD), subject__public_id__in=opted, expires_at__gt=self.now,
        ).order_by("granted_at")
        for glass in current.values("subject__public_id", "justification"):
            exempt[glass["subject__public_id"]] = glass["justification"]
        out: set[int] = set()
        reasons: dict[str, str] = {}
        exempted: dict[str, str] = {}
        facts = []
        codes: tuple[ReasonCode, ...]
        for person in sorted(opted):
            if person in exempt:
                exempted[person] = f"opted out, but child-protection exemption: {exempt[person]}"
                verdict, codes = Verdict.ALLOW, (ReasonCode.OPTED_OUT_OF_LINKAGE, ReasonCode.BREAK_GLASS_ACCEPTED)
            else:
                out.update(record_ids_by_person[person])
                reasons[person] = "opted out of linkage"
                verdict, codes = Verdict.DENY, (ReasonCode.OPTED_OUT_OF_LINKAGE,)
            facts.append(AuditFacts(
                actor_id=SYSTEM_ID, actor_role=Role.SYSTEM.value, organisation="", purpose=Purpose.RECORD_LINKAGE,
                subject_id=person, data_categories=(DataCategory.IDENTITY, DataCategory.CONTACT),
                action=AuditEvent.LINKAGE_RUN, decision=verdict, reasons=tuple(c.value for c in codes),
                justification=exempt.get(person, ""),
            ))
        if facts:
            append_many(facts, at=self.now)
        return Exclusions(frozenset(out), reasons, exempted)
