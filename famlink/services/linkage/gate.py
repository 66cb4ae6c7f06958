"""The governance side of linkage input: each opted-out person, decided by the policy door's rule.

Linkage asks ``LinkageGate.excluded()`` which records to leave out before it
reads any. Everyone who opted out of linkage is put to core ``decide()`` for
``Purpose.RECORD_LINKAGE``, with the facts built as the door builds them
(``door.subject_for``, ``door.context_for``): their records stay out unless a
current child-protection break-glass (not found unjustified on review) that
the policy accepts names them. One that it does not accept (a justification
too short, the practitioner as their own authoriser, an authoriser whose
authority has run out) leaves them out like no break-glass at all. Each
decision is written to the audit log with the policy's reasons, so a parent
can see that their opt-out was honoured, or why it was not.

People who have not opted out are not asked about here: consent *to*
linkage is not yet required at input (docs/governance.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.audit.append import append_many
from famlink.adapters.storage.governance.models import (
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    OptOut,
    OptOutKind,
)
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent
from famlink.core.linkage.consent import Exclusions, records_left_out
from famlink.core.policy import Actor, Decision, Role, decide
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door

SYSTEM_ID = "famlink-linkage"
#: Linkage itself, as the policy sees it: a system authorised for record linkage only.
LINKAGE = Actor(id=SYSTEM_ID, role=Role.SYSTEM, purposes=frozenset({Purpose.RECORD_LINKAGE}))
#: What linkage reads of a person: who they are and where they live.
CATEGORIES = (DataCategory.CONTACT, DataCategory.IDENTITY)


class LinkageGate:
    """A ``LinkageInputFilter`` backed by the stored opt-outs and break-glass records, decided by ``decide()``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]]) -> Exclusions:
        # every active opt-out, then those among these people: opt-outs are few, a run's people many
        # (an IN list of 100,000 ids cost more than the rest of the filter)
        opted = {
            p for p in OptOut.objects.filter(kind=OptOutKind.LINKAGE, active=True)
            .values_list("person__public_id", flat=True) if p in record_ids_by_person
        }
        if not opted:
            return Exclusions()
        glasses = self._break_glass(opted)
        sources = self._sources({p: record_ids_by_person[p] for p in opted})
        left_out: dict[str, str] = {}
        let_in: dict[str, str] = {}
        facts = []
        for person in Person.objects.filter(public_id__in=opted).order_by("public_id"):
            subject = door.subject_for(LINKAGE, person, self.now)
            tried: list[BreakGlassAuthorisation | None] = [*glasses.get(person.pk, [])] or [None]
            for glass in tried:  # newest first: one the policy accepts is enough
                context = door.context_for(person, sources.get(person.public_id, []), self.now, glass)
                decision = decide(LINKAGE, Purpose.RECORD_LINKAGE, subject, CATEGORIES, context)
                if decision.allow:
                    break
            if not decision.allow:
                left_out[person.public_id] = _why(decision)
            elif glass is not None:  # an opt-out of linkage gives way to an accepted break-glass only
                let_in[person.public_id] = f"opted out, but child-protection exemption: {glass.justification}"
            else:
                let_in[person.public_id] = _why(decision)
            facts.append(door.audit_facts(LINKAGE, Purpose.RECORD_LINKAGE, subject, CATEGORIES,
                                          AuditEvent.LINKAGE_RUN, decision, context))
        append_many(facts, at=self.now)
        return records_left_out(record_ids_by_person, left_out, let_in)

    def _break_glass(self, people: Collection[str]) -> dict[int, list[BreakGlassAuthorisation]]:
        """Person pk -> their current break-glass records (not found unjustified, not run out), newest first."""
        current = (BreakGlassAuthorisation.objects
                   .filter(~Q(outcome=BreakGlassOutcome.NOT_UPHELD), subject__public_id__in=people,
                           expires_at__gt=self.now)
                   .select_related("practitioner__user", "authoriser__user").order_by("-granted_at", "-pk"))
        out: dict[int, list[BreakGlassAuthorisation]] = {}
        for glass in current:
            out.setdefault(glass.subject_id, []).append(glass)
        return out

    @staticmethod
    def _sources(record_ids: Mapping[str | None, Collection[int]]) -> dict[str, list[Source]]:
        """Person id -> the sources their records came from (their agreements say whether linkage may read them)."""
        person_of = {rid: person for person, ids in record_ids.items() if person is not None for rid in ids}
        pairs = SourceRecord.objects.filter(id__in=list(person_of)).values_list("id", "source_id")
        by_source: dict[int, set[str]] = {}
        for rid, source_id in pairs:
            by_source.setdefault(source_id, set()).add(person_of[rid])
        out: dict[str, list[Source]] = {}
        for source in Source.objects.filter(pk__in=list(by_source)).select_related("organisation").order_by("pk"):
            for person in by_source[source.pk]:
                out.setdefault(person, []).append(source)
        return out


def _why(decision: Decision) -> str:
    """Why a person's records stay out, in the policy's words."""
    return " ".join(decision.reasons)
