"""The one gate on linkage input: the records of people the policy leaves out stay out.

Policy brief recommendation 4: a right to opt out of sharing, except where the
information is clearly relevant to child protection. Linkage asks one
question of one object before it reads a single record: which records must be
left out? Who is left out is decided by the policy (core ``decide()``, asked
by the governance service's ``LinkageGate``), never here: this module only
names the question and turns people left out into their records.

Records are grouped by the person they were last assigned to, since before a
run that is the only way to know whose a record is. Records never linked yet
are grouped under ``None``: a new record of an opted-out person cannot be
recognised as theirs until it has been linked once (see docs/linkage.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Exclusions:
    """What the filter decided, with reasons a person can read."""

    record_ids: frozenset[int] = frozenset()
    #: person id -> why that person's records were left out
    reasons: dict[str, str] = field(default_factory=dict)
    #: person ids who opted out but whose records stay in (child-protection exemption)
    exempted: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class LinkageInputFilter(Protocol):
    """Decides which records linkage must not read."""

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]]) -> Exclusions:
        """Records to leave out, given record ids grouped by current person id."""
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
