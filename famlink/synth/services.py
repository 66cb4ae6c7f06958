"""Universal services: GP registration, hospital, school and benefits.

Almost every family touches these, so they make up most rows. A&E
attendances and school exclusions are also risk signals, so the functions
return their dates for the social-care referral model.
"""

from __future__ import annotations

import math
import random
from datetime import date
from functools import cache

from famlink.core.taxonomy import RecordStatus

from .emitter import Emitter
from .extracts import GP, HOSPITAL, SCHOOL, WELFARE
from .families import DATA_END, DATA_START, YEAR, Household, Person, poisson
from .faults import DNA_MISRECORDED_RATE

OUTPATIENT_RATE = {"child": 0.05, "parent": 0.07}  # appointments a year
AE_RATE = {"child": 0.07, "parent": 0.05}  # A&E attendances a year, before risk
EXCLUSION_RATE = 0.012  # suspensions a pupil-year, before risk
SCHOOL_CENSUS_FROM = 2020  # the school extract holds annual attendance from here
REREGISTER_AFTER_MOVE = 0.5

SPECIALTIES = {
    "child": ("paediatrics", "community_paediatrics", "ent", "ophthalmology", "dermatology",
              "trauma_orthopaedics", "camhs", "audiology"),
    "parent": ("general_surgery", "trauma_orthopaedics", "ent", "ophthalmology", "dermatology",
               "obstetrics", "gynaecology", "cardiology", "respiratory", "mental_health"),
}  # fmt: skip
ETHNICITY_CODES = {"white": "WHIT", "asian": "ASIA", "black": "BLAC", "mixed": "MIXD"}


def window(person: Person) -> tuple[int, int]:
    """The span in which agencies see this person in the household."""
    return max(DATA_START, person.joined), DATA_END


def gp_registrations(hh: Household, rng: random.Random, out: Emitter) -> None:
    """A registration when a person arrives and, usually, after each move (at a refuge always, within a month)."""
    for person in hh.members:
        starts = [max(person.joined, person.dob) + rng.randint(7, 90)]
        for day, address in zip(person.address_days[1:], person.address_values[1:], strict=True):
            if day > starts[0] and (rng.random() < REREGISTER_AFTER_MOVE or address.sensitive):
                starts.append(day + rng.randint(7, 30 if address.sensitive else 180))
        for day in starts:
            if day > DATA_END:
                continue
            ref = person.address_values[person.address_index_at(day)].property_ref
            out.emit(GP, person, day, {"practice": _practice(ref[1:5])})


def hospital(hh: Household, rng: random.Random, out: Emitter) -> list[tuple[Person, int]]:
    """Outpatient appointments and A&E; returns the children's A&E attendances."""
    child_ae: list[tuple[Person, int]] = []
    risk = math.exp(0.4 * hh.adversity)
    dna = 0.06 + 0.03 * max(0.0, hh.adversity)
    for person in hh.members:
        start, end = window(person)
        years = (end - start) / YEAR
        if years <= 0:
            continue
        rate = OUTPATIENT_RATE[person.role] * (2.5 if person.disability else 1.0)
        for _ in range(poisson(rng, rate * years)):
            day = rng.randint(start, end)
            draw = rng.random()
            noted: tuple[str, ...] = ()
            if draw < dna:
                shown = true = RecordStatus.DID_NOT_ATTEND.value
            elif draw < dna + 0.07:
                true = RecordStatus.CANCELLED_BY_PROVIDER.value
                shown = true
                if rng.random() < DNA_MISRECORDED_RATE:
                    shown = RecordStatus.DID_NOT_ATTEND.value
                    noted = ("dna_misrecorded",)
            else:
                shown = true = RecordStatus.ATTENDED.value
            code = {"attended": "ATT", "did_not_attend": "DNA"}.get(shown, "CANC")
            specialty = rng.choice(SPECIALTIES[person.role])
            values = {"category": "OPA", "status": code, "specialty": specialty}
            out.emit(HOSPITAL, person, day, values, true, noted)
        for _ in range(poisson(rng, AE_RATE[person.role] * risk * years)):
            day = rng.randint(start, end)
            values = {"category": "AE", "status": "ATT", "specialty": "emergency_medicine"}
            out.emit(HOSPITAL, person, day, values, RecordStatus.ATTENDED.value)
            if person.role == "child":
                child_ae.append((person, day))
    return child_ae


# Property refs are "P" + street index (4 digits) + house and flat: the GP practice
# and the schools serving a home follow from its street, so they are kept by street.
@cache
def _practice(street: str) -> str:
    return f"B86{int(street) % 40:03d}"


@cache
def _urn(street: str, secondary: bool) -> str:
    return f"{107000 + int(street) // 15 * 2 + secondary}"


def _school_urn(person: Person, day: int, secondary: bool) -> str:
    ref = person.address_values[person.address_index_at(day)].property_ref
    return _urn(ref[1:5], secondary)


def school(hh: Household, rng: random.Random, out: Emitter) -> list[tuple[Person, int]]:
    """Enrolments, January census attendance, suspensions; returns suspensions."""
    excluded: list[tuple[Person, int]] = []
    risk = math.exp(1.0 * hh.adversity)
    for child in hh.children:
        first = child.school_start
        leave = date(date.fromordinal(first).year + 12, 7, 20).toordinal()
        start, end = max(first, child.joined), min(leave, DATA_END)
        if start > end:
            continue
        sen = "E" if child.disability and rng.random() < 0.4 else "K" if child.disability else "N"
        if not child.disability and rng.random() < 0.06:
            sen = "K"
        common = {"ethnicity": ETHNICITY_CODES.get(child.ethnicity, "AOEG"), "sen": sen}
        secondary_from = date(date.fromordinal(first).year + 7, 9, 3).toordinal()
        enrolments = [start] + [d for d in child.address_days if start < d <= end]
        if start < secondary_from <= end:
            enrolments.append(secondary_from)
        for day in sorted(set(enrolments)):
            urn = _school_urn(child, day, day >= secondary_from)
            out.emit(SCHOOL, child, day, {**common, "category": "ENR", "school": urn})
        year = date.fromordinal(start).year
        while True:
            census = date(year, 1, 16).toordinal()
            year += 1
            if census > end:
                break
            if census < start:
                continue
            urn = ""  # looked up only for a row: most census years before 2020 have none
            if year - 1 >= SCHOOL_CENSUS_FROM:
                urn = _school_urn(child, census, census >= secondary_from)
                pct = rng.gauss(95.0 - 2.5 * max(0.0, hh.adversity) - 2.0 * child.disability, 3)
                values = {**common, "category": "ATT", "school": urn}
                values["attendance"] = f"{min(100.0, max(35.0, pct)):.1f}"
                out.emit(SCHOOL, child, census, values)
            rate = EXCLUSION_RATE * risk * (1.6 if child.sex == "M" else 1.0)
            rate *= 1.5 if child.disability else 1.0
            if census >= secondary_from - 2 * 365:
                rate *= 2.0
            for _ in range(poisson(rng, rate)):
                urn = urn or _school_urn(child, census, census >= secondary_from)
                day = min(end, census + rng.randint(-120, 180))
                kind = "PERM" if rng.random() < 0.05 else "FIXED"
                values = {**common, "category": "EXC", "school": urn, "exclusion": kind}
                out.emit(SCHOOL, child, day, values)
                excluded.append((child, day))
    return excluded


def welfare(hh: Household, rng: random.Random, out: Emitter) -> None:
    """Child benefit at each birth; means-tested and disability awards."""
    claimant = hh.parents[0]
    band = hh.income_band
    kids = sorted(hh.children, key=lambda c: c.joined)
    for n, child in enumerate(kids, start=1):
        day = child.joined + rng.randint(14, 60)
        if DATA_START <= day <= DATA_END and rng.random() < 0.95:
            values = {"benefit": "child_benefit", "income_band": band, "dependants": str(n)}
            out.emit(WELFARE, claimant, day, values)
    low_income = band in ("under_16k", "16k_to_30k")
    for parent in hh.parents:
        start, end = window(parent)
        if start >= end:
            continue
        dependants = str(sum(1 for c in kids if c.joined <= end))
        if low_income and (parent is claimant or rng.random() < 0.3):
            uc_from = max(start, date(2016, 4, 1).toordinal())
            benefit = "universal_credit"
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.3 or uc_from >= end:
                    uc_from, benefit = start, "housing_benefit"
                day = rng.randint(uc_from, end) if uc_from < end else end
                values = {"benefit": benefit, "income_band": band, "dependants": dependants}
                out.emit(WELFARE, parent, day, values)
        if parent.disability and rng.random() < 0.6:
            day = rng.randint(start, end)
            values = {"benefit": "pip", "income_band": band, "dependants": dependants}
            out.emit(WELFARE, parent, day, values)
