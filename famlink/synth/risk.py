"""Police, housing and children's social care: the records parents fear.

Referrals to children's social care are drawn from a household's latent
adversity plus the events that really trigger them (a domestic incident, a
suspension, rent arrears, an A&E visit), so an early-help model has a signal
to find, but a noisy one: most referrals end in no further action or are
unsubstantiated, and many children in adverse circumstances are never
referred. Base rates aim at 2-4% of children referred a year.
"""

from __future__ import annotations

import math
import random
from itertools import pairwise

from .emitter import Emitter
from .extracts import HOUSING, POLICE, SOCIAL_CARE
from .families import DATA_END, DATA_START, YEAR, Household, Person, poisson
from .identifiers import scramble
from .services import gp_registrations, hospital, school, welfare, window

POLICE_RATE = 0.02  # incidents a parent-year, before adversity
TEEN_POLICE_RATE = 0.02  # incidents a year aged 13-17
ARREARS_RATE = 0.07  # arrears notices a tenancy-year, before adversity
REFERRAL_RATE = 0.010  # referrals a child-year with no trigger, before adversity
OLD_REFERRAL_RATE = 0.03  # parents with a referral from their own childhood
OLD_INCIDENT_RATE = 0.02  # parents with a police record from before 1998
# chance that a trigger event leads to a referral of each child in the household
TRIGGER_REFERRAL = {"police": 0.25, "school": 0.15, "housing": 0.04, "health": 0.03}

INCIDENT_TYPES = (
    ("domestic", 30), ("asb", 20), ("theft", 15), ("concern_for_welfare", 15),
    ("public_order", 10), ("road_traffic", 10),
)  # fmt: skip
_TYPES = tuple(t for t, _ in INCIDENT_TYPES)
_TYPE_WEIGHTS = tuple(w for _, w in INCIDENT_TYPES)


def _age_day(person: Person, years: float) -> int:
    return person.dob + int(years * YEAR)


class _Incidents:
    """Numbers incidents so that everyone at one incident shares its number."""

    def __init__(self, family_index: int) -> None:
        self.family_index = family_index
        self.count = 0

    def next(self) -> str:
        value = scramble(self.family_index * 1000 + self.count, 1_500_450_271, 99, 10**10)
        self.count += 1
        return f"INC{value:010d}"


def police(hh: Household, rng: random.Random, out: Emitter) -> list[int]:
    """Incidents involving parents (and some teenagers); returns domestic ones' dates."""
    numbers = _Incidents(hh.family_index)
    domestic: list[int] = []
    risk = math.exp(1.0 * hh.adversity)
    parents = hh.parents
    for parent in parents:
        start, end = window(parent)
        if end <= start:
            continue
        for _ in range(poisson(rng, POLICE_RATE * risk * (end - start) / YEAR)):
            day = rng.randint(start, end)
            kind = rng.choices(_TYPES, _TYPE_WEIGHTS)[0]
            number = numbers.next()
            if kind == "domestic":
                domestic.append(day)
                others = [p for p in parents if p is not parent and p.joined <= day]
                victim = parent if parent.sex == "F" or not others else others[0]
                for person in {id(victim): victim, **{id(p): p for p in others}}.values():
                    role = "victim" if person is victim else "suspect"
                    values = {"incident": number, "incident_type": kind, "involvement": role}
                    out.emit(POLICE, person, day, values)
                continue
            role = rng.choice(("suspect", "victim", "witness", "subject"))
            values = {"incident": number, "incident_type": kind, "involvement": role}
            out.emit(POLICE, parent, day, values)
        old_from, old_to = _age_day(parent, 12), DATA_START - 1
        if old_from < old_to and rng.random() < OLD_INCIDENT_RATE:
            day = rng.randint(old_from, old_to)
            kind = rng.choice(("asb", "theft", "public_order"))
            values = {"incident": numbers.next(), "incident_type": kind, "involvement": "suspect"}
            out.emit(POLICE, parent, day, values)
    if hh.refuge:
        fled = hh.moves[[a.sensitive for _, a in hh.moves].index(True)][0]
        day = max(parents[0].joined, fled - rng.randint(1, 30))
        values = {"incident": numbers.next(), "incident_type": "domestic", "involvement": "victim"}
        out.emit(POLICE, parents[0], day, values)
        for partner in parents[1:]:  # the partner she fled, where he is in the family
            out.emit(POLICE, partner, day, {**values, "involvement": "suspect"})
        domestic.append(day)
    for child in hh.children:
        start = max(_age_day(child, 13), child.joined, DATA_START)
        end = min(_age_day(child, 18), DATA_END)
        if start < end:
            for _ in range(poisson(rng, TEEN_POLICE_RATE * risk * (end - start) / YEAR)):
                role = rng.choice(("suspect", "victim", "missing_person"))
                values = {"incident": numbers.next(), "incident_type": "youth", "involvement": role}
                out.emit(POLICE, child, rng.randint(start, end), values)
    return domestic


def _lives_at(person: Person, day: int, address: object) -> bool:
    """Whether ``person`` lives at ``address`` on ``day`` (a father a family fled from stays behind)."""
    return person.address_values[person.address_index_at(day)] == address


def housing(hh: Household, rng: random.Random, out: Emitter) -> list[int]:
    """Council tenancies (one row per tenancy holder) and arrears; returns arrears dates."""
    arrears: list[int] = []
    risk = math.exp(0.9 * hh.adversity)
    lead = hh.parents[0]
    spells = [*hh.moves, (DATA_END + 1, None)]
    for (start, address), (end, _) in pairwise(spells):
        if address is None or not (hh.social_tenant or address.sensitive):
            continue
        tenancy = "temporary" if address.sensitive else rng.choice(("secure", "introductory"))
        sensitive = "true" if address.sensitive else "false"
        holders = [p for p in hh.parents if p.joined <= start and _lives_at(p, start, address)] or [lead]
        common = {"property": address.property_ref, "sensitive": sensitive}
        for holder in holders:
            values = {**common, "category": "TEN", "tenancy_type": tenancy}
            out.emit(HOUSING, holder, start, values)
        for parent in hh.parents:
            if start < parent.joined < end:  # a partner added to the tenancy
                values = {**common, "category": "TEN", "tenancy_type": "joint_added"}
                out.emit(HOUSING, parent, parent.joined, values)
        years = (min(end, DATA_END) - max(start, DATA_START)) / YEAR
        for _ in range(poisson(rng, ARREARS_RATE * risk * max(0.0, years))):
            day = rng.randint(max(start, DATA_START), min(end - 1, DATA_END))
            amount = f"{rng.lognormvariate(6.0, 0.8):.2f}"
            values = {**common, "category": "ARR", "tenancy_type": tenancy, "arrears": amount}
            out.emit(HOUSING, lead, day, values)
            arrears.append(day)
    return arrears


def _referral(
    hh: Household, rng: random.Random, out: Emitter, child: Person, day: int, source: str
) -> None:
    """One referral and what followed: assessment and outcome, or no further action."""
    values = {"referral_source": source}
    if day > DATA_END - 45:
        out.emit(SOCIAL_CARE, child, day, {**values, "category": "REF", "status": "OPEN"}, "open")
        return
    if rng.random() < 0.45:
        ref = {**values, "category": "REF", "status": "NFA"}
        out.emit(SOCIAL_CARE, child, day, ref, "no_further_action")
        return
    assessed = day + rng.randint(10, 45)
    concluded = assessed + rng.randint(20, 90)
    if concluded > DATA_END:
        out.emit(SOCIAL_CARE, child, day, {**values, "category": "REF", "status": "OPEN"}, "open")
        asmt = {**values, "category": "ASMT", "status": "ONGOING"}
        out.emit(SOCIAL_CARE, child, assessed, asmt, "ongoing")
        return
    substantiated = rng.random() < min(0.7, max(0.1, 0.3 + 0.1 * hh.adversity))
    code, status = ("SUB", "substantiated") if substantiated else ("UNSUB", "unsubstantiated")
    out.emit(SOCIAL_CARE, child, day, {**values, "category": "REF", "status": code}, status)
    asmt = {**values, "category": "ASMT", "status": "CLOSED"}
    out.emit(SOCIAL_CARE, child, assessed, asmt, "closed")
    out.emit(SOCIAL_CARE, child, concluded, {**values, "category": "OUT", "status": code}, status)


def social_care(
    hh: Household, rng: random.Random, out: Emitter, triggers: list[tuple[str, Person | None, int]]
) -> None:
    """Referrals: a noisy background rate plus referrals after trigger events."""
    risk = math.exp(0.9 * hh.adversity)
    for child in hh.children:
        start = max(child.joined, DATA_START)
        end = min(_age_day(child, 18), DATA_END)
        if start >= end:
            continue
        days = [
            (rng.randint(start, end), "other")
            for _ in range(poisson(rng, REFERRAL_RATE * risk * (end - start) / YEAR))
        ]
        for source, about, day in triggers:
            relevant = start <= day <= end and (about is None or about is child)
            if relevant and rng.random() < TRIGGER_REFERRAL[source]:
                days.append((min(DATA_END, day + rng.randint(0, 30)), source))
        for day, source in sorted(days, key=lambda d: d[0]):
            _referral(hh, rng, out, child, day, source)
    for parent in hh.parents:  # records from the parent's own childhood, decades old
        old_from, old_to = _age_day(parent, 1), min(_age_day(parent, 16), DATA_START - 1)
        if old_from < old_to and rng.random() < OLD_REFERRAL_RATE:
            day = rng.randint(old_from, old_to)
            code, status = rng.choices(
                (("UNSUB", "unsubstantiated"), ("NFA", "no_further_action"),
                 ("SUB", "substantiated")), (50, 30, 20))[0]  # fmt: skip
            values = {"referral_source": "other", "category": "REF", "status": code}
            out.emit(SOCIAL_CARE, parent, day, values, status)


def household_rows(hh: Household, rng: random.Random, out: Emitter) -> None:
    """Every row every agency holds about one household."""
    out.start(hh, rng)
    gp_registrations(hh, rng, out)
    ae = hospital(hh, rng, out)
    excluded = school(hh, rng, out)
    welfare(hh, rng, out)
    domestic = police(hh, rng, out)
    arrears = housing(hh, rng, out)
    triggers: list[tuple[str, Person | None, int]] = [("police", None, d) for d in domestic]
    triggers += [("school", child, d) for child, d in excluded]
    triggers += [("housing", None, d) for d in arrears]
    triggers += [("health", child, d) for child, d in ae]
    social_care(hh, rng, out, triggers)
