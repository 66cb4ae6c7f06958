"""The one gate on linkage input: what each person in a run allows, decided by the policy.

Policy brief recommendations 1 and 4: consent to link, and a right to opt out
except where information is clearly relevant to child protection. Linkage
asks one question of one object before it reads a single record: for every
person in the run, may their records be matched across services, and must
any stay out altogether? Who allows what is decided by the policy (core
``decide()``, asked by the governance service's ``LinkageGate``), never here:
this module names the question, the answer, and each person's outcome.

Records are grouped by the person they were last assigned to, since before a
run that is the only way to know whose a record is. Records never linked yet
are grouped under ``None`` and decided per source as someone who has not
answered yet (under ``consent``: not allowed across services on their own);
see docs/linkage.md.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from famlink.core.policy.linkage import Standing


@dataclass(frozen=True, slots=True)
class LinkageDecision:
    """One person's (or one source's never-linked records') answer, as clustering and the audit need it
    (``reasons``: the policy's reason codes, ``Decision.codes`` values)."""

    standing: Standing
    reasons: tuple[str, ...]
    break_glass: bool = False


@dataclass(frozen=True)
class Exclusions:
    """What the filter decided, with reasons a person can read."""

    record_ids: frozenset[int] = frozenset()
    #: person id -> why that person's records were left out
    reasons: dict[str, str] = field(default_factory=dict)
    #: person ids who opted out but whose records stay in (child-protection exemption)
    exempted: dict[str, str] = field(default_factory=dict)
    #: person id -> the policy's decision on matching their records across services (every person in the run)
    decisions: Mapping[str, LinkageDecision] = field(default_factory=dict)
    #: source name -> the decision for its records never linked yet (nobody's answer is known for them)
    unlinked: Mapping[str, LinkageDecision] = field(default_factory=dict)

    def standing(self, person: str | None, source: str) -> Standing:
        """A record's standing: its person's, else (never linked) its source's for someone unknown."""
        found = self.decisions.get(person) if person is not None else self.unlinked.get(source)
        return found.standing if found is not None else Standing.NOT_ANSWERED


@dataclass(frozen=True, slots=True)
class PersonLinkageOutcome:
    """What one run did with one person's records: their access-log line and their leaf in the run's audit
    commitment (famlink.core.audit.runs) are built from it.

    ``person_id``: the person's public id after the run. ``allowed_across_services``:
    their records may be matched with other services' records (someone in
    them said yes, nobody said no; famlink.core.policy.linkage).
    ``reasons``: the policy's reason codes for that (``Decision.codes`` values:
    a parent is told "because you said no" or "because you have not said yes"
    from them). ``kept_apart``: the services (sectors) whose records matched
    theirs but were kept apart because of consent. ``break_glass``: a
    child-protection break-glass let their records in.
    """

    person_id: str
    allowed_across_services: bool = True
    reasons: tuple[str, ...] = ()
    kept_apart: tuple[str, ...] = ()
    break_glass: bool = False


@runtime_checkable
class LinkageInputFilter(Protocol):
    """Decides which records linkage must not read, and what everyone else allows."""

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]],
                 sources_by_person: Mapping[str | None, Collection[str]] | None = None) -> Exclusions:
        """Records to leave out and each person's decision, given record ids and source names
        grouped by current person id (``None``: records never linked)."""
        ...


def records_left_out(record_ids_by_person: Mapping[str | None, Collection[int]],
                     left_out: Mapping[str, str], let_in: Mapping[str, str] | None = None) -> Exclusions:
    """The records of the people decided to be left out (``left_out``: person id -> why).

    ``let_in``: people who opted out but were let in, and why; reported, not
    acted on. People not in this run are ignored.
    """
    out: set[int] = set()
    for person in left_out:
        out.update(record_ids_by_person.get(person, ()))
    return Exclusions(
        frozenset(out),
        {p: why for p, why in left_out.items() if p in record_ids_by_person},
        {p: why for p, why in (let_in or {}).items() if p in record_ids_by_person},
    )
