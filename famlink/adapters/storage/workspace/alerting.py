"""Who is told when something new happens about a family: every member of staff with an open allocation.

Kept in storage, below every service, because events come from several of
them (an ingest, the data team's correction, a parent's statement, a sharing
decision) and none of those may import the workspace's services, which read
theirs. A family member here is the person allocated, their parents and their
children (``Relationship`` ``parent_of``, either way): an allocation to a
child hears of a new record about the child's mother.

Summaries say what happened and where from, never what a record says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.family.models import Relationship
from famlink.adapters.storage.linkage.models import RecordAssignment, latest_run
from famlink.adapters.storage.sources.models import Extract, SourceRecord
from famlink.adapters.storage.workspace.models import Alert, CaseAllocation


@dataclass(frozen=True)
class Happening:
    """One thing that happened about one person (pk), to tell their family's professionals."""

    person_id: int
    kind: str
    summary: str
    record_id: int | None = None


def _family_ties(person_ids: set[int]) -> dict[int, set[int]]:
    """Each person's parents and children, among ``parent_of`` ties touching ``person_ids`` (one query)."""
    ties: dict[int, set[int]] = defaultdict(set)
    rows = (Relationship.objects.filter(kind=Relationship.Kind.PARENT_OF)
            .filter(Q(from_person_id__in=person_ids) | Q(to_person_id__in=person_ids))
            .values_list("from_person_id", "to_person_id"))
    for parent, child in rows:
        ties[parent].add(child)
        ties[child].add(parent)
    return ties


def family_of(allocated: set[int], among: set[int]) -> dict[int, set[int]]:
    """Each allocated person with the members of their family found in ``among`` (themselves included)."""
    ties = _family_ties(allocated) if among else {}
    return {p: {p} | (ties.get(p, set()) & among) for p in allocated}


def watchers(person_ids: Iterable[int]) -> dict[int, set[int]]:
    """Person pk -> the StaffActor pks with an open allocation to them or to a family member (two queries)."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    ties = _family_ties(wanted)
    near = wanted | {other for p in wanted for other in ties.get(p, ())}
    allocated: dict[int, set[int]] = defaultdict(set)
    for staff_id, allocated_id in (CaseAllocation.objects.filter(to_date__isnull=True, person_id__in=near)
                                   .values_list("staff_id", "person_id")):
        allocated[allocated_id].add(staff_id)
    out: dict[int, set[int]] = {}
    for person in wanted:
        staff = set(allocated.get(person, ()))
        for other in ties.get(person, ()):
            staff |= allocated.get(other, set())
        if staff:
            out[person] = staff
    return out


def raise_alerts(happenings: Iterable[Happening], *, except_staff: int | None = None,
                 told: dict[int, set[int]] | None = None) -> int:
    """An alert for each member of staff watching each happening's person (one insert); how many were raised.

    ``told`` is who watches whom, if the caller has worked it out already.
    """
    items = list(happenings)
    if told is None:
        told = watchers({h.person_id for h in items})
    now = timezone.now()
    alerts = [Alert(staff_id=staff, person_id=h.person_id, kind=h.kind, summary=h.summary[:300], record_id=h.record_id,
                    created_at=now)
              for h in items for staff in sorted(told.get(h.person_id, ())) if staff != except_staff]
    Alert.objects.bulk_create(alerts, batch_size=500)
    return len(alerts)


def _all_watchers() -> dict[int, set[int]]:
    """Every person someone has an open allocation to, or to a family member of, and who (two queries)."""
    allocated: dict[int, set[int]] = defaultdict(set)
    for staff_id, person_id in CaseAllocation.objects.filter(to_date__isnull=True).values_list("staff_id", "person_id"):
        allocated[person_id].add(staff_id)
    if not allocated:
        return {}
    told: dict[int, set[int]] = defaultdict(set)
    for person_id, staff in allocated.items():
        told[person_id] |= staff
    for person_id, others in _family_ties(set(allocated)).items():
        for other in others:
            told[person_id] |= allocated.get(other, set())
    return {p: staff for p, staff in told.items() if staff}


def alerts_for_extract(extract_id: int) -> int:
    """Alerts for the new records and new versions one extract brought about watched families.

    Cheap whatever the extract's size: nothing is read when nobody holds an
    allocation; otherwise the watched people's records in the latest run give
    the (source, person reference) pairs to look for, and this extract's rows
    are read once, by its own key, for those references and for new versions
    (which ingest has already given their old version's person).
    """
    told = _all_watchers()
    watched = set(told)
    run = latest_run() if watched else None
    if not watched or run is None:
        return 0
    extract = Extract.objects.select_related("source__organisation").get(pk=extract_id)
    refs = dict(RecordAssignment.objects.filter(run=run, person_id__in=watched, record__source_id=extract.source_id)
                .exclude(record__person_ref="").values_list("record__person_ref", "person_id"))
    found: dict[int, dict[int, int]] = defaultdict(dict)  # person -> record -> version
    for record, ref, version in (SourceRecord.objects.filter(extract_id=extract_id, person_ref__in=list(refs))
                                 .values_list("pk", "person_ref", "version")):
        found[refs[ref]][record] = version
    for person, record, version in (RecordAssignment.objects.filter(run=run, person_id__in=watched,
                                                                    record__extract_id=extract_id)
                                    .values_list("person_id", "record_id", "record__version")):
        found[person][record] = version
    where = extract.source.organisation.name
    happenings = []
    for person, records in found.items():
        new = sum(1 for v in records.values() if v == 1)
        changed = len(records) - new
        said = []
        if new:
            said.append("a new record" if new == 1 else f"{new} new records")
        if changed:
            said.append("a new version of a record" if changed == 1 else f"new versions of {changed} records")
        only = next(iter(records)) if len(records) == 1 else None
        happenings.append(Happening(person, Alert.Kind.NEW_RECORD, f"{' and '.join(said).capitalize()} from {where}",
                                    only))
    return raise_alerts(happenings, told=told)
