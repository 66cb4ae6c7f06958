"""Heavily corrupted historical-style person records, with the truth.

A labelled set to measure ``famlink link-file`` on the kind of data public
historical benchmarks hold (census and parish transcriptions): many records
per person, typed and re-typed over the years. Each person lives in a family
(shared surname, birth place and postcode, birth years close together), so
siblings and namesakes are there to be confused with. Every record is a copy
of its person with faults drawn independently at the rates in ``FAULTS``:
typos, nicknames, missing and swapped names, dates of birth with a digit or
the year wrong, day and month transposed or impossible (30 February), junk in
the sex column, a free-text birth place and occupation written differently.

Columns (like Splink's ``historical_50k``): unique_id, cluster, full_name,
first_and_surname, first_name, surname, dob, birth_place, postcode_fake,
gender, occupation. The same seed gives the same file.
"""

from __future__ import annotations

import bisect
import csv
import random
from pathlib import Path

from famlink.core.errors import InvalidInput

from .faults import typo
from .names import FEMALE_FIRST, MALE_FIRST, NICKNAMES, SURNAMES

#: fault -> probability per record (independent draws)
FAULTS: dict[str, float] = {
    "first_name_typo": 0.15,
    "first_name_nickname": 0.06,
    "first_name_initial": 0.03,
    "first_name_missing": 0.06,
    "surname_typo": 0.12,
    "surname_missing": 0.06,
    "names_swapped": 0.04,
    "dob_missing": 0.12,
    "dob_digit_typo": 0.08,
    "dob_day_month_transposed": 0.04,
    "dob_year_off": 0.08,
    "dob_impossible": 0.02,
    "birth_place_missing": 0.2,
    "birth_place_typo": 0.1,
    "birth_place_other": 0.05,
    "postcode_missing": 0.3,
    "postcode_typo": 0.08,
    "postcode_moved": 0.15,
    "gender_missing": 0.08,
    "gender_junk": 0.08,
    "occupation_missing": 0.35,
    "occupation_other": 0.15,
}

TOWNS = """london manchester liverpool birmingham leeds sheffield bristol newcastle hull
bradford leicester nottingham norwich york exeter plymouth portsmouth southampton
brighton bath gloucester worcester hereford shrewsbury chester lancaster preston
blackburn bolton wigan oldham rochdale stockport halifax huddersfield wakefield
doncaster rotherham barnsley derby stoke coventry wolverhampton walsall dudley
northampton bedford cambridge oxford reading ipswich colchester canterbury dover
maidstone guildford winchester salisbury taunton truro barnstaple carlisle kendal
durham sunderland gateshead darlington middlesbrough whitby scarborough lincoln
grimsby boston peterborough kings_lynn cheltenham swindon stafford lichfield
macclesfield warrington st_helens southport blackpool kidderminster banbury""".split()  # noqa: SIM905
OCCUPATIONS = """labourer agricultural_labourer farmer farm_servant domestic_servant housekeeper
cook laundress dressmaker seamstress tailor shoemaker blacksmith carpenter joiner
mason bricklayer plumber painter coal_miner ironstone_miner weaver cotton_spinner
wool_comber mill_hand clerk schoolmaster governess grocer baker butcher publican
innkeeper draper carter coachman groom gardener sailor fisherman railway_porter
engine_driver police_constable soldier nurse midwife scholar annuitant""".split()  # noqa: SIM905
OCCUPATION_VARIANTS = {
    "agricultural_labourer": ("ag lab", "ag labourer", "farm labourer"),
    "domestic_servant": ("servant", "general servant", "dom servant"),
    "coal_miner": ("miner", "coal hewer", "collier"), "scholar": ("school", "at school"),
    "labourer": ("general labourer", "lab"), "cotton_spinner": ("spinner", "cotton piecer"),
}
GENDER_JUNK = ("u", "unknown", "?", "x", "n/a", "-", "0", "9", "none", "not stated")
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _draw(rng: random.Random, table: tuple[tuple[str, ...], tuple[float, ...]]) -> str:
    names, cumulative = table
    return names[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]


def _postcode(rng: random.Random) -> str:
    area = rng.choice(("LS", "M", "B", "S", "L", "BD", "HX", "WF", "YO", "HU", "NE", "SR"))
    return (f"{area}{rng.randint(1, 29)} {rng.randint(0, 9)}"
            f"{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}")


def _people(rng: random.Random, persons: int) -> list[dict[str, str]]:
    """Persons in families: surname, birth place and postcode shared, births close."""
    out: list[dict[str, str]] = []
    while len(out) < persons:
        surname = _draw(rng, SURNAMES).lower()
        place = rng.choice(TOWNS).replace("_", " ")
        postcode = _postcode(rng)
        start = rng.randint(1800, 1920)
        for _ in range(min(rng.choice((1, 1, 2, 3, 4, 5)), persons - len(out))):
            sex = rng.choice("mf")
            first = _draw(rng, MALE_FIRST if sex == "m" else FEMALE_FIRST)
            year = start + rng.randint(0, 18)
            out.append({"first_name": first, "surname": surname, "sex": sex,
                        "dob": f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        "birth_place": place, "postcode": postcode,
                        "occupation": rng.choice(OCCUPATIONS).replace("_", " ")})
    return out


def _happens(rng: random.Random, fault: str) -> bool:
    return rng.random() < FAULTS[fault]


def _first_name(rng: random.Random, person: dict[str, str]) -> str:
    name = person["first_name"]
    if _happens(rng, "first_name_nickname") and NICKNAMES.get(name):
        name = rng.choice(NICKNAMES[name])
    name = name.lower()
    if _happens(rng, "first_name_typo"):
        name = typo(rng, name)
    if _happens(rng, "first_name_initial"):
        name = name[0]
    return "" if _happens(rng, "first_name_missing") else name


def _dob(rng: random.Random, dob: str) -> str:
    if _happens(rng, "dob_missing"):
        return ""
    year, month, day = dob.split("-")
    if _happens(rng, "dob_year_off"):
        year = str(int(year) + rng.choice((-2, -1, -1, 1, 1, 2, 10, -10)))
    if _happens(rng, "dob_day_month_transposed") and int(day) <= 12:
        month, day = day, month
    if _happens(rng, "dob_impossible"):
        month, day = "02", rng.choice(("30", "31"))
    text = f"{year}-{month}-{day}"
    if _happens(rng, "dob_digit_typo"):
        spots = [i for i, c in enumerate(text) if c.isdigit() and i not in (0, 1)]
        i = rng.choice(spots)
        text = text[:i] + str(rng.randint(0, 9)) + text[i + 1:]
    return text


def _record(rng: random.Random, person: dict[str, str]) -> dict[str, str]:
    first = _first_name(rng, person)
    surname = "" if _happens(rng, "surname_missing") else (
        typo(rng, person["surname"]) if _happens(rng, "surname_typo") else person["surname"])
    if _happens(rng, "names_swapped"):
        first, surname = surname, first
    place = "" if _happens(rng, "birth_place_missing") else person["birth_place"]
    if place and _happens(rng, "birth_place_typo"):
        place = typo(rng, place)
    if place and _happens(rng, "birth_place_other"):
        place = rng.choice(TOWNS).replace("_", " ")
    postcode = person["postcode"]
    if _happens(rng, "postcode_moved"):
        postcode = _postcode(rng)
    if _happens(rng, "postcode_typo"):
        postcode = typo(rng, postcode.lower()).upper()
    if _happens(rng, "postcode_missing"):
        postcode = ""
    gender = {"m": rng.choice(("male", "m", "M", "Male")),
              "f": rng.choice(("female", "f", "F", "Female"))}[person["sex"]]
    if _happens(rng, "gender_junk"):
        gender = rng.choice(GENDER_JUNK)
    if _happens(rng, "gender_missing"):
        gender = ""
    occupation = person["occupation"]
    key = occupation.replace(" ", "_")
    if _happens(rng, "occupation_other"):
        occupation = rng.choice(OCCUPATION_VARIANTS.get(key) or tuple(OCCUPATIONS)).replace("_", " ")
    if _happens(rng, "occupation_missing"):
        occupation = ""
    both = " ".join(n for n in (first, surname) if n)
    return {"full_name": both, "first_and_surname": both, "first_name": first, "surname": surname,
            "dob": _dob(rng, person["dob"]), "birth_place": place, "postcode_fake": postcode,
            "gender": gender, "occupation": occupation}


def write_historical(records: int, seed: int, out_path: Path) -> int:
    """Write about ``records`` records (1 to 12 per person) to ``out_path``; return the count."""
    if isinstance(records, bool) or not isinstance(records, int) or not 10 <= records <= 5_000_000:
        raise InvalidInput("the number of records must be a whole number from 10 to 5,000,000",
                           where="records")
    rng = random.Random(seed)
    people = _people(rng, max(1, records // 3 + 1))
    rows: list[dict[str, str]] = []
    for number, person in enumerate(people):
        copies = min(12, 1 + int(rng.expovariate(1 / 3)))
        for _ in range(copies):
            rows.append({"cluster": f"p{number}", **_record(rng, person)})
            if len(rows) >= records:
                break
        if len(rows) >= records:
            break
    rng.shuffle(rows)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["unique_id", "cluster", "full_name", "first_and_surname", "first_name", "surname",
               "dob", "birth_place", "postcode_fake", "gender", "occupation"]
    partial = out_path.with_name(out_path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({"unique_id": f"r{i}", **row})
    partial.replace(out_path)
    return len(rows)
