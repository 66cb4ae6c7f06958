"""The governance side of linkage input: every person in a run, decided by the policy door's rule.

Linkage asks ``LinkageGate.excluded()`` before it reads any record. Every
person in the run is put to core ``decide()`` for ``Purpose.RECORD_LINKAGE``
as the system actor ``famlink-linkage``, asked about matching across
services (the run's services), under the consent model the council
configured (``FAMLINK_CONSENT_MODELS``). The facts are read in bulk, a few
queries for the whole run (people, their linkage consents, opt-outs, current
break-glass records, sources), never a query per person; a person with a
break-glass gets the door's own ``context_for`` (the break-glass and any
withholding), as a page would.

- An opt-out of linkage keeps the person's records out altogether, unless a
  current child-protection break-glass (not found unjustified on review)
  that the policy accepts names them; one it does not accept (justification
  too short, practitioner as their own authoriser, authority run out)
  leaves them out like no break-glass at all.
- Everyone else is matched within each service, and across services as
  their decision's ``Standing`` allows (famlink.core.policy.linkage).
- Records never linked yet belong to nobody known: for each source they come
  from, one decision is made for someone who has not answered.

Each opted-out person's decision, and each decision a break-glass was put
forward for, is written to the audit log with the policy's reasons. (The
per-person outcomes of a whole run go into the run's batched commitment.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from famlink import config
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import linkage_facts
from famlink.adapters.storage.governance.audit.append import append_many
from famlink.adapters.storage.governance.models import (
    BreakGlassAuthorisation,
    BreakGlassOutcome,
    OptOut,
    OptOutKind,
)
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.audit import AuditEvent, AuditFacts
from famlink.core.consent import ConsentGrant, ConsentLevel, ConsentState
from famlink.core.linkage.consent import Exclusions, LinkageDecision, records_left_out
from famlink.core.people import is_adult
from famlink.core.policy import Actor, Context, Decision, ReasonCode, Role, Subject, decide
from famlink.core.policy.linkage import break_glass_used, kept_out, standing
from famlink.core.taxonomy import DataCategory, Purpose, Sector
from famlink.services.governance import door

SYSTEM_ID = "famlink-linkage"
#: Linkage itself, as the policy sees it: a system authorised for record linkage only.
LINKAGE = Actor(id=SYSTEM_ID, role=Role.SYSTEM, purposes=frozenset({Purpose.RECORD_LINKAGE}))
#: What linkage reads of a person: who they are and where they live.
CATEGORIES = (DataCategory.CONTACT, DataCategory.IDENTITY)
#: Who records never linked yet belong to, as the policy is asked about them.
NOT_LINKED_YET = "(records not linked yet)"


class LinkageGate:
    """A ``LinkageInputFilter`` backed by the stored consents, opt-outs and break-glass records, decided by ``decide()``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]],
                 sources_by_person: Mapping[str | None, Collection[str]] | None = None) -> Exclusions:
        if sources_by_person is None:  # a run passes them; read them for anyone else asking
            sources_by_person = _sources_of(record_ids_by_person)
        sources = {s.name: s for s in Source.objects.select_related("organisation")}
        agreed = {name: frozenset(Purpose(p) for p in s.purposes) for name, s in sources.items()}
        sector = {name: Sector(s.organisation.sector) for name, s in sources.items()}
        # the question is matching across the run's services
        run_sectors = frozenset(sector[name] for names in sources_by_person.values() for name in names)
        basis = config.consent_models()[Purpose.RECORD_LINKAGE]

        contexts: dict[frozenset[str], Context] = {}

        def context(names: Collection[str]) -> Context:
            key = frozenset(names)
            if key not in contexts:
                purposes = frozenset.intersection(*(agreed[n] for n in key)) if key else frozenset()
                contexts[key] = Context(now=self.now, source_sectors=run_sectors | {sector[n] for n in key},
                                        source_purposes=purposes, consent_basis=basis)
            return contexts[key]

        people = [p for p in record_ids_by_person if p is not None]
        wanted = set(people)
        # whole tables, filtered here: an IN list of a run's 300,000 ids costs more than reading them all
        born: dict[str, tuple[int, date | None]] = {}
        public_of: dict[int, str] = {}  # person pk -> the person in this run whose answers they carry
        merged: dict[int, int] = {}
        for key, pid, born_on, into in linkage_facts.people():
            if pid in wanted:
                born[pid], public_of[key] = (key, born_on), pid
            elif into is not None:
                merged[key] = into
        for key, into in merged.items():  # a person merged into one in this run: their answers go with them
            seen = {key}
            while into in merged and into not in seen:
                seen.add(into)
                into = merged[into]
            if into in public_of:
                public_of.setdefault(key, public_of[into])
        consents: dict[str, ConsentGrant] = {}
        own: set[str] = set()
        for holder, level, state, recorded, expires, version in linkage_facts.general_consents(
                Purpose.RECORD_LINKAGE):
            person = public_of.get(holder)
            if person is None or person in own:
                continue
            if born[person][0] == holder:
                own.add(person)  # their own answer wins over one given before a merge
            consents[person] = ConsentGrant(
                purpose=Purpose.RECORD_LINKAGE, level=ConsentLevel(level), state=ConsentState(state),
                recorded_at=recorded, expires_at=expires, version=version)
        opted: dict[str, set[str]] = {}
        for person_pk, kind in OptOut.objects.filter(active=True).values_list("person_id", "kind"):
            if person_pk in public_of:
                opted.setdefault(public_of[person_pk], set()).add(kind)
        glasses = self._break_glass({born[p][0] for p in people if p in born} & self._with_break_glass())
        today = timezone.localdate(self.now)

        decisions: dict[str, LinkageDecision] = {}
        answers: dict[tuple[bool, tuple[ReasonCode, ...]], LinkageDecision] = {}  # one per distinct answer: shared, not rebuilt
        left_out: dict[str, str] = {}
        let_in: dict[str, str] = {}
        facts: list[AuditFacts] = []
        for person in sorted(people):
            known = born.get(person)
            pk: int | None = known[0] if known is not None else None
            dob = known[1] if known is not None else None
            kinds = opted.get(person, set())
            subject = Subject(person_id=person, is_adult=is_adult(dob, today),
                              opted_out_of_linkage=OptOutKind.LINKAGE in kinds,
                              opted_out_of_sharing=OptOutKind.SHARING in kinds,
                              consents={Purpose.RECORD_LINKAGE: consents[person]} if person in consents else {})
            names = sources_by_person.get(person, ())
            ctx = context(names)
            decision = decide(LINKAGE, Purpose.RECORD_LINKAGE, subject, CATEGORIES, ctx)
            tried = glasses.get(pk, []) if pk is not None and not decision.allow else []
            if tried and pk is not None:
                stored = Person.objects.get(pk=pk)
                for glass in tried:  # newest first: one the policy accepts is enough
                    ctx = door.context_for(stored, [sources[n] for n in names], self.now, glass,
                                           Purpose.RECORD_LINKAGE)
                    ctx = replace(ctx, source_sectors=ctx.source_sectors | run_sectors)
                    decision = decide(LINKAGE, Purpose.RECORD_LINKAGE, subject, CATEGORIES, ctx)
                    if decision.allow:
                        break
            answer = answers.get((decision.allow, decision.codes))
            if answer is None:
                answer = answers[(decision.allow, decision.codes)] = LinkageDecision(standing(decision), _codes(decision),
                                                                   break_glass_used(decision))
            decisions[person] = answer
            if kept_out(decision, subject):
                left_out[person] = _why(decision)
            elif subject.opted_out_of_linkage:  # an opt-out of linkage gives way to an accepted break-glass only
                used = ctx.break_glass
                let_in[person] = (f"opted out, but child-protection exemption: {used.justification}"
                                  if used is not None else _why(decision))
            if subject.opted_out_of_linkage or tried:
                facts.append(door.audit_facts(LINKAGE, Purpose.RECORD_LINKAGE, subject, CATEGORIES,
                                              AuditEvent.LINKAGE_RUN, decision, ctx))
        unknown = Subject(person_id=NOT_LINKED_YET, is_adult=True)
        unlinked = {}
        for name in sorted(sources_by_person.get(None, ())):
            decision = decide(LINKAGE, Purpose.RECORD_LINKAGE, unknown, CATEGORIES, context([name]))
            unlinked[name] = LinkageDecision(standing(decision), _codes(decision))
        append_many(facts, at=self.now)
        out = records_left_out(record_ids_by_person, left_out, let_in)
        return Exclusions(out.record_ids, out.reasons, out.exempted, decisions, unlinked)

    def _with_break_glass(self) -> set[int]:
        """Person pks with a current break-glass record: few, so read first."""
        return set(self._current().values_list("subject_id", flat=True))

    def _current(self):  # type: ignore[no-untyped-def]
        return BreakGlassAuthorisation.objects.filter(~Q(outcome=BreakGlassOutcome.NOT_UPHELD),
                                                      expires_at__gt=self.now)

    def _break_glass(self, people: Collection[int]) -> dict[int, list[BreakGlassAuthorisation]]:
        """Person pk -> their current break-glass records (not found unjustified, not run out), newest first."""
        if not people:
            return {}
        current = (self._current().filter(subject_id__in=list(people))
                   .select_related("practitioner__user", "authoriser__user").order_by("-granted_at", "-pk"))
        out: dict[int, list[BreakGlassAuthorisation]] = {}
        for glass in current:
            out.setdefault(glass.subject_id, []).append(glass)
        return out


def _sources_of(record_ids: Mapping[str | None, Collection[int]]) -> dict[str | None, set[str]]:
    """Person -> the names of the sources their records came from."""
    person_of = {rid: person for person, ids in record_ids.items() for rid in ids}
    out: dict[str | None, set[str]] = {}
    for rid, name in SourceRecord.objects.filter(id__in=list(person_of)).values_list("id", "source__name"):
        out.setdefault(person_of[rid], set()).add(name)
    return out


def _codes(decision: Decision) -> tuple[str, ...]:
    """The policy's reason codes: what a person's access-log line and run leaf are worded from."""
    return tuple(code.value for code in decision.codes)


def _why(decision: Decision) -> str:
    """Why a person's records stay out, in the policy's words."""
    return " ".join(decision.reasons)
