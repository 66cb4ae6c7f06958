"""Households from where linked people lived, and when (a heuristic, stated plainly).

Agencies rarely record "this is her son"; they record who lives where. So:

1. A **stay** is a person at one address (postcode + cleaned address text)
   from their first to their last record there. Records with only a postcode
   are not used: a postcode covers many homes.
2. Two people **lived together** when their stays at one address overlap,
   allowing a year either side (records are sparse events, not a census).
3. Adults (18 or over at the start of the stay) who lived together form one
   household (union of such pairs); an adult who lived with no other adult
   heads a household alone. Children join the household of each adult they
   lived with, with the dates and address of that stay: a child whose
   parents separated is in two households, and history is kept.
4. ``parent_of`` (with parental responsibility) is recorded for an adult who
   lived with a child, is at least 12 years older, and shares a surname with
   the child on any record. ``partner_of`` for adults who lived together and
   are less than 15 years apart in age. Step-parents with another surname and
   parents recorded as such by an agency are not found yet.
5. An address is **sensitive** when any record there was marked sensitive
   (e.g. a refuge): the membership carries ``sensitive_address``.

Household ids carry over between runs by shared adult members (as persons do).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from famlink.adapters.storage.family.models import Household, HouseholdMembership, Relationship
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.core.linkage.continuity import carry_over
from famlink.core.linkage.normalise import clean_name, clean_text

SLACK = timedelta(days=365)
ADULT_AGE = 18
PARENT_GAP_YEARS = 12
PARTNER_GAP_YEARS = 15
EVIDENCE = "linkage: "
BATCH = 5000


def _years(a: date, b: date) -> float:
    return (b - a).days / 365.25


def rebuild_households(run: LinkageRun) -> dict[str, int]:
    """Replace households, memberships and linkage-found relationships from ``run``."""
    stays: dict[tuple[int, str], dict[str, Any]] = {}
    births: dict[int, Counter[date]] = defaultdict(Counter)
    surnames: dict[int, set[str]] = defaultdict(set)
    rows = RecordAssignment.objects.filter(run=run).values_list(
        "person_id", "record__postcode", "record__address", "record__event_date",
        "record__date_of_birth", "record__surname", "record__full_name", "record__sensitive")
    for person, postcode, address, when, dob, surname, full_name, sensitive in rows.iterator(chunk_size=20000):
        if dob:
            births[person][dob] += 1
        name = clean_name(surname) or clean_name((full_name or "").split(",")[0])
        if name:
            surnames[person].add(name)
        where = clean_text(address)
        if not where or not postcode or not when:
            continue
        key = (person, f"{postcode.replace(' ', '').upper()}|{where}")
        stay = stays.setdefault(key, {"from": when, "to": when, "sensitive": False,
                                      "address": address, "postcode": postcode})
        stay["from"], stay["to"] = min(stay["from"], when), max(stay["to"], when)
        stay["sensitive"] |= bool(sensitive)
    dob = {p: c.most_common(1)[0][0] for p, c in births.items()}

    def adult(person: int, on: date) -> bool:
        return person not in dob or _years(dob[person], on) >= ADULT_AGE

    at_address: dict[str, list[int]] = defaultdict(list)
    for person, where in stays:
        at_address[where].append(person)
    adult_pairs, child_links = [], []
    for where, people in at_address.items():
        for i, a in enumerate(people):
            sa = stays[(a, where)]
            for b in people[i + 1:]:
                sb = stays[(b, where)]
                if sa["from"] - SLACK > sb["to"] or sb["from"] - SLACK > sa["to"]:
                    continue
                a_adult, b_adult = adult(a, sa["from"]), adult(b, sb["from"])
                if a_adult and b_adult:
                    adult_pairs.append((a, b, where))
                elif a_adult or b_adult:
                    child_links.append((a, b, where) if a_adult else (b, a, where))
    adults = {p for p, where in stays if adult(p, stays[(p, where)]["from"])}
    parent = {p: p for p in adults}

    def find(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b, _where in adult_pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    group_of = {p: find(p) for p in adults}
    household_of_group = _household_ids(group_of)

    memberships: dict[tuple[int, int, Any], HouseholdMembership] = {}

    def join(household: int, person: int, role: str, where: str) -> None:
        stay = stays[(person, where)]
        memberships.setdefault((household, person, stay["from"]), HouseholdMembership(
            household_id=household, person_id=person, role=role, address=stay["address"][:300],
            postcode=stay["postcode"], sensitive_address=stay["sensitive"],
            from_date=stay["from"], to_date=stay["to"]))

    for person, where in stays:
        if person in group_of:
            join(household_of_group[group_of[person]], person, "adult", where)
    relationships: dict[tuple[int, int, str], Relationship] = {}
    for grown, child, where in child_links:
        join(household_of_group[group_of[grown]], child, "child", where)
        if (child in dob and grown in dob and _years(dob[grown], dob[child]) >= PARENT_GAP_YEARS
                and surnames[grown] & surnames[child]):
            relationships.setdefault((grown, child, "parent_of"), Relationship(
                from_person_id=grown, to_person_id=child, kind="parent_of",
                parental_responsibility=True, from_date=stays[(child, where)]["from"],
                evidence=f"{EVIDENCE}lived with the child and shares a surname"))
    for a, b, _where in adult_pairs:
        if a in dob and b in dob and abs(_years(dob[a], dob[b])) < PARTNER_GAP_YEARS:
            relationships.setdefault((min(a, b), max(a, b), "partner_of"), Relationship(
                from_person_id=min(a, b), to_person_id=max(a, b), kind="partner_of",
                evidence=f"{EVIDENCE}adults who lived at the same address at the same time"))
    HouseholdMembership.objects.all().delete()
    Relationship.objects.filter(evidence__startswith=EVIDENCE).delete()
    HouseholdMembership.objects.bulk_create(memberships.values(), batch_size=BATCH)
    Relationship.objects.bulk_create(relationships.values(), batch_size=BATCH)
    return {"households": len(set(household_of_group.values())),
            "household_memberships": len(memberships),
            "parent_of": sum(1 for k in relationships if k[2] == "parent_of"),
            "partner_of": sum(1 for k in relationships if k[2] == "partner_of"),
            "sensitive_memberships": sum(1 for m in memberships.values() if m.sensitive_address)}


def _household_ids(group_of: dict[int, int]) -> dict[int, int]:
    """Adult group -> Household pk, keeping the old household where its adults continue."""
    previous = dict(HouseholdMembership.objects.filter(role="adult")
                    .order_by("from_date").values_list("person_id", "household_id"))
    continuity = carry_over(previous, group_of)
    out: dict[int, int] = {}
    new_groups = [g for g, h in continuity.person_of_cluster.items() if h is None]
    created = Household.objects.bulk_create([Household() for _ in new_groups], batch_size=BATCH)
    out.update({g: h for g, h in continuity.person_of_cluster.items() if h is not None})
    out.update({g: h.pk for g, h in zip(new_groups, created, strict=True)})
    return out
