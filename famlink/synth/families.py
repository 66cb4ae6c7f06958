"""Synthetic families: who lives together, when children were born, moves, names.

A household is drawn as a life history, not a snapshot: it formed years ago,
children arrived over up to 18 years, it moved house, mothers changed surname
on marriage or separation, and step-families joined. Agencies then see each
person through the name and address they had on the date of each event,
which is what makes real linkage hard.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from . import names
from .identifiers import PERSON_SPACE, nhs_number, upn
from .places import Address, draw_address, draw_refuge

DATA_START = date(1998, 1, 1).toordinal()
DATA_END = date(2025, 12, 31).toordinal()
YEAR = 365.25

# ONS 2021 census, England and Wales: five high-level ethnic groups.
ETHNICITY_SHARES = (("white", 81.7), ("asian", 9.3), ("black", 4.0), ("mixed", 2.9), ("other", 2.1))
_ETHNICITIES = tuple(e for e, _ in ETHNICITY_SHARES)
_ETHNICITY_WEIGHTS = tuple(w for _, w in ETHNICITY_SHARES)

# A council somewhat more deprived than England as a whole.
_DECILE_WEIGHTS = (14, 13, 12, 11, 10, 9, 9, 8, 7, 7)
INCOME_BANDS = ("under_16k", "16k_to_30k", "30k_to_50k", "over_50k")

KIND_SHARES = (("couple", 0.58), ("lone_parent", 0.27), ("step", 0.15))
CHILDREN_WEIGHTS = (40, 35, 17, 6, 2)  # 1..5 births
TWIN_RATE = 0.016  # share of births that are twin births
SAME_NAME_RATE = 0.025  # of families where a son could share his father's name
CHILD_DISABILITY_RATE = 0.08
PARENT_DISABILITY_RATE = 0.12
MOVE_RATE_PER_YEAR = 0.09
REFUGE_RATE = 0.04  # of lone-mother households: a stay in a refuge
#: One family in 50 (the 8th, the 58th, ...) is a couple who part after domestic abuse: the mother takes
#: the children to a refuge and the father stays at home, still holding parental responsibility. Fixed by
#: position, not drawn, so every run of 8 or more families has one for the demo and the tests to show.
FLED_EVERY = 50
FLED_AT = 7


@dataclass(slots=True)
class Person:
    """One real person, with the names and addresses they had over time."""

    person_id: str
    member: int  # position in the household: the basis of every identifier
    role: str  # parent | child
    sex: str  # F | M
    first_name: str
    dob: int  # date ordinal
    ethnicity: str
    disability: bool
    joined: int  # when this person joined the household
    nhs: str = ""
    upn: str = ""
    school_start: int = 0  # first September in reception, children only
    surname_days: list[int] = field(default_factory=list)
    surname_values: list[str] = field(default_factory=list)
    address_days: list[int] = field(default_factory=list)
    address_values: list[Address] = field(default_factory=list)

    def surname_at(self, day: int) -> str:
        """The surname in use on ``day`` (before any change, the first one)."""
        return self.surname_values[max(0, bisect_right(self.surname_days, day) - 1)]

    def address_index_at(self, day: int) -> int:
        return max(0, bisect_right(self.address_days, day) - 1)

    @property
    def surname(self) -> str:
        return self.surname_values[-1]


@dataclass(slots=True)
class Household:
    """A family as it really is: the ground truth agencies only glimpse."""

    family_index: int
    household_id: str
    kind: str
    decile: int
    income_band: str
    adversity: float  # latent risk: drives incidents, arrears, referrals
    social_tenant: bool
    members: list[Person]
    formed: int
    moves: list[tuple[int, Address]]
    same_name: bool = False
    refuge: bool = False

    @property
    def parents(self) -> list[Person]:
        return [p for p in self.members if p.role == "parent"]

    @property
    def children(self) -> list[Person]:
        return [p for p in self.members if p.role == "child"]


def _years(rng: random.Random, low: float, high: float) -> int:
    return int(rng.uniform(low, high) * YEAR)


def _first_name(rng: random.Random, sex: str, ethnicity: str) -> str:
    if ethnicity == "asian" and rng.random() < 0.8:
        table = names.SOUTH_ASIAN_FEMALE if sex == "F" else names.SOUTH_ASIAN_MALE
    elif ethnicity == "black" and rng.random() < 0.6:
        table = names.BLACK_FEMALE if sex == "F" else names.BLACK_MALE
    else:
        table = names.FEMALE_FIRST if sex == "F" else names.MALE_FIRST
    return rng.choices(table[0], cum_weights=table[1])[0]


def _surname(rng: random.Random, ethnicity: str) -> str:
    if ethnicity == "asian" and rng.random() < 0.85:
        table = names.SOUTH_ASIAN_SURNAMES
    elif ethnicity == "black" and rng.random() < 0.6:
        table = names.BLACK_SURNAMES
    else:
        table = names.SURNAMES
    return rng.choices(table[0], cum_weights=table[1])[0]


def _ethnicity(rng: random.Random) -> str:
    return rng.choices(_ETHNICITIES, _ETHNICITY_WEIGHTS)[0]


class _Builder:
    """Draws one household; kept as a class only to share the rng and counters."""

    def __init__(self, rng: random.Random, family_index: int) -> None:
        self.rng = rng
        self.family_index = family_index
        self.members: list[Person] = []
        self.twins = False  # at most one twin birth per household

    def person(self, role: str, sex: str, dob: int, ethnicity: str, joined: int) -> Person:
        rng = self.rng
        member = len(self.members)
        rate = CHILD_DISABILITY_RATE if role == "child" else PARENT_DISABILITY_RATE
        person = Person(
            person_id=f"P{self.family_index:06d}{member:02d}",
            member=member,
            role=role,
            sex=sex,
            first_name=_first_name(rng, sex, ethnicity),
            dob=dob,
            ethnicity=ethnicity,
            disability=rng.random() < rate,
            joined=joined,
            nhs=nhs_number(self.family_index * PERSON_SPACE + member),
        )
        self.members.append(person)
        return person

    def births(self, first: int, count: int, mother_dob: int) -> list[int]:
        """Birth dates: gaps of 1-6 years, all within 18 years and before the end."""
        rng = self.rng
        days: list[int] = []
        day = first
        last = min(DATA_END - 30, mother_dob + int(46 * YEAR))
        while len(days) < count and day <= last and day - first <= 18 * YEAR:
            days.append(day)
            if not self.twins and rng.random() < TWIN_RATE:
                self.twins = True
                days.append(day)
            day += _years(rng, 1.0, 6.0)
        return days


def _set_surnames(person: Person, history: list[tuple[int, str]]) -> None:
    history.sort()
    person.surname_days = [d for d, _ in history]
    person.surname_values = [s for _, s in history]


def _address_history(rng: random.Random, decile: int, formed: int, lone_mother: bool):
    moves: list[tuple[int, Address]] = [(formed, draw_address(rng, decile))]
    years = (DATA_END - formed) / YEAR
    expected = MOVE_RATE_PER_YEAR * years
    count = min(5, sum(1 for _ in range(int(years) + 1) if rng.random() < expected / (years + 1)))
    for day in sorted(rng.randint(formed + 200, DATA_END) for _ in range(count)):
        moves.append((day, draw_address(rng, decile)))
    refuge = False
    if lone_mother and rng.random() < REFUGE_RATE and DATA_END - formed > 800:
        start = rng.randint(formed + 365, DATA_END - 400)
        end = start + rng.randint(60, 365)
        moves = [m for m in moves if not start <= m[0] <= end]
        moves += [(start, draw_refuge(rng)), (end, draw_address(rng, decile))]
        moves.sort(key=lambda m: m[0])
        refuge = True
    return moves, refuge


def _fled_history(rng: random.Random, decile: int, formed: int, first_birth: int):
    """A couple's homes until the mother leaves with the children for a refuge, then hers; and the father's.

    The flight comes after the first child's first birthday, from 2019 on,
    and the stay lasts three to ten months; the father stays where they lived.
    """
    together, _ = _address_history(rng, decile, formed, False)
    start = rng.randint(max(first_birth + 365, date(2019, 1, 1).toordinal()), DATA_END - 500)
    end = start + rng.randint(90, 300)
    his = [m for m in together if m[0] < start]
    return [*his, (start, draw_refuge(rng)), (end, draw_address(rng, decile))], his


def _place(person: Person, prior: Address | None, moves: list[tuple[int, Address]]) -> None:
    """Give a person their own earlier address, then the household's from joining."""
    start = person.joined
    earlier = start > person.dob and prior is not None  # lived somewhere before joining
    days = [person.dob] if earlier else []
    values: list[Address] = [prior] if prior is not None and earlier else []
    at_start = moves[0][1]
    for day, address in moves:
        if day <= start:
            at_start = address
    days.append(start)
    values.append(at_start)
    for day, address in moves:
        if day > start:
            days.append(day)
            values.append(address)
    person.address_days = days
    person.address_values = values


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method: means here are small)."""
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def build_household(rng: random.Random, family_index: int) -> Household:
    """Draw one whole family history."""
    b = _Builder(rng, family_index)
    fled = family_index % FLED_EVERY == FLED_AT
    kind = rng.choices(("couple", "lone_parent", "step"), (58, 27, 15))[0]
    if fled:
        kind = "couple"
    decile = rng.choices(range(1, 11), _DECILE_WEIGHTS)[0]
    lone = kind == "lone_parent"
    income_score = decile + rng.gauss(0, 2) - 2.5 * lone
    income_band = INCOME_BANDS[
        0 if income_score < 3.5 else 1 if income_score < 6 else 2 if income_score < 8.5 else 3
    ]
    adversity = rng.gauss(0, 0.8) + 0.2 * (5.5 - decile) + 0.4 * lone + 0.3 * (kind == "step")
    social_tenant = rng.random() < 0.5 - 0.045 * (decile - 1)

    first_birth = rng.randint(date(1990, 1, 1).toordinal(), date(2024, 6, 30).toordinal())
    if fled:  # children still at home now, who lived with their father for years first
        first_birth = rng.randint(date(2011, 1, 1).toordinal(), date(2017, 12, 31).toordinal())
    mother_age = min(44.0, max(16.5, rng.gauss(29, 5.5)))
    formed = max(first_birth - _years(rng, 0, 3), first_birth - int((mother_age - 16) * YEAR))
    mother_eth = _ethnicity(rng)
    lone_father = lone and rng.random() < 0.1
    n_children = rng.choices((1, 2, 3, 4, 5), CHILDREN_WEIGHTS)[0]

    main_sex = "M" if lone_father else "F"
    main_dob = first_birth - int(mother_age * YEAR) - rng.randint(0, 364)
    main = b.person("parent", main_sex, main_dob, mother_eth, formed)
    maiden = _surname(rng, mother_eth)
    history = [(main.dob, maiden)]

    partner: Person | None = None
    other_eth = mother_eth if rng.random() < 0.88 else _ethnicity(rng)
    if kind == "couple":
        partner_dob = min(main.dob + int(rng.gauss(2, 3) * YEAR), first_birth - int(17 * YEAR))
        partner = b.person("parent", "M", partner_dob, other_eth, formed)
        partner_surname = _surname(rng, other_eth)
        _set_surnames(partner, [(partner.dob, partner_surname)])
        married = rng.random() < 0.55 or fled
        if married:
            wedding = min(DATA_END - 1, first_birth + _years(rng, -4, 6))
            wedding = max(wedding, main.dob + int(18 * YEAR))
            if rng.random() < 0.9 or fled:
                history.append((wedding, partner_surname))
        child_surname = partner_surname if married or rng.random() < 0.75 else maiden
        child_eth = "mixed" if other_eth != mother_eth and rng.random() < 0.8 else mother_eth
    else:
        ex_surname = _surname(rng, other_eth)
        if lone_father:
            child_surname = maiden
        else:
            if rng.random() < 0.35:
                history.append(
                    (max(main.dob + int(18 * YEAR), first_birth - _years(rng, 0, 3)), ex_surname)
                )
                if rng.random() < 0.4:
                    history.append((min(DATA_END - 1, first_birth + _years(rng, 1, 8)), maiden))
                child_surname = ex_surname
            else:
                child_surname = ex_surname if rng.random() < 0.6 else maiden
        child_eth = "mixed" if other_eth != mother_eth and rng.random() < 0.5 else mother_eth

    count = n_children if kind != "step" else max(1, n_children // 2)
    first_births = b.births(first_birth, count, main.dob) or [first_birth]
    children: list[Person] = []
    for day in first_births:
        child = b.person("child", rng.choice("FM"), day, child_eth, day)
        _set_surnames(child, [(day, child_surname)])
        children.append(child)

    if kind == "step":
        join = min(DATA_END - 60, first_births[-1] + _years(rng, 0.5, 6))
        partner_dob = min(main.dob + int(rng.gauss(2, 4) * YEAR), join - int(19 * YEAR))
        partner = b.person("parent", "M", partner_dob, other_eth, join)
        partner_surname = _surname(rng, other_eth)
        _set_surnames(partner, [(partner.dob, partner_surname)])
        own_dob = min(join - 30, max(join - _years(rng, 0, 10), partner.dob + int(17 * YEAR)))
        own = b.person("child", rng.choice("FM"), own_dob, other_eth, join)
        _set_surnames(own, [(own_dob, partner_surname)])
        children.append(own)
        if rng.random() < 0.4:
            wedding = min(DATA_END - 1, join + _years(rng, 0.5, 4))
            history.append((wedding, partner_surname))
        joint_eth = "mixed" if other_eth != mother_eth else mother_eth
        for day in b.births(join + _years(rng, 0.8, 3), rng.choice((0, 0, 1, 2)), main.dob):
            child = b.person("child", rng.choice("FM"), day, joint_eth, day)
            _set_surnames(child, [(day, partner_surname)])
            children.append(child)
    _set_surnames(main, history)

    same_name = False
    father = partner if partner is not None else (main if lone_father else None)
    if father is not None and rng.random() < SAME_NAME_RATE:
        for child in children:
            if child.sex == "M" and child.surname == father.surname:
                child.first_name = father.first_name
                same_name = True
                break

    if fled:
        moves, fathers = _fled_history(rng, decile, formed, first_birth)
        refuge = True
    else:
        moves, refuge = _address_history(rng, decile, formed, kind == "lone_parent" and not lone_father)
        fathers = moves
    child_number = 0  # children are numbered densely (at most 9 a family) for the UPN space
    for person in b.members:
        prior = draw_address(rng, rng.randint(1, 10)) if person.joined > person.dob else None
        _place(person, prior, fathers if person is partner else moves)
        if person.role == "child":
            start = date.fromordinal(person.dob)
            entry_year = start.year + 4 + (start.month >= 9)
            person.school_start = date(entry_year, 9, 3).toordinal()
            person.upn = upn(family_index * 10 + child_number, entry_year)  # the year of entry
            child_number += 1
    return Household(
        family_index=family_index,
        household_id=f"H{family_index:06d}",
        kind=kind,
        decile=decile,
        income_band=income_band,
        adversity=adversity,
        social_tenant=social_tenant,
        members=b.members,
        formed=formed,
        moves=moves,
        same_name=same_name,
        refuge=refuge,
    )
