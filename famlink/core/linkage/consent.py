"""The one gate on linkage input: opted-out people's records stay out.

Policy brief recommendation 4: a right to opt out of sharing, except where the
information is clearly relevant to child protection. Linkage asks one
question of one object before it reads a single record: which records must be
left out? The governance work replaces the simple implementation here with the
real policy engine behind the same ``LinkageInputFilter`` protocol.

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


class OptOutFilter:
    """Leaves out the records of people who opted out, unless exempted.

    ``opted_out`` and ``child_protection_exempt`` are person ids; the
    exemption must be recorded (a reason string), never implied.
    """

    def __init__(self, opted_out: Collection[str] = (),
                 child_protection_exempt: Mapping[str, str] | None = None) -> None:
        self.opted_out = frozenset(opted_out)
        self.exempt = dict(child_protection_exempt or {})

    def excluded(self, record_ids_by_person: Mapping[str | None, Collection[int]]) -> Exclusions:
        out: set[int] = set()
        reasons: dict[str, str] = {}
        exempted: dict[str, str] = {}
        for person, record_ids in record_ids_by_person.items():
            if person is None or person not in self.opted_out:
                continue
            if person in self.exempt:
                exempted[person] = f"opted out, but child-protection exemption: {self.exempt[person]}"
                continue
            out.update(record_ids)
            reasons[person] = "opted out of linkage"
        return Exclusions(frozenset(out), reasons, exempted)
