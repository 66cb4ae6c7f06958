"""A synthetic council area: neighbourhoods, streets and UK-style postcodes.

The geography is fixed (its own seed), not drawn per run, so that two runs
with different seeds describe the same town. Each neighbourhood has one
outward code and a deprivation level, so postcode and deprivation correlate
as they do in real places.
"""

from __future__ import annotations

import random
from typing import NamedTuple

COUNCIL = "Riverside"

# (locality, outward code, typical IMD decile: 1 most deprived)
NEIGHBOURHOODS: tuple[tuple[str, str, int], ...] = (
    ("Holbeck Vale", "LS11", 1),
    ("Gipton Moor", "LS9", 1),
    ("Harehills", "LS8", 2),
    ("Seacroft", "LS14", 2),
    ("Armley", "LS12", 3),
    ("Beeston", "LS11", 3),
    ("Bramley", "LS13", 4),
    ("Chapeltown", "LS7", 3),
    ("Hyde Park", "LS6", 4),
    ("Kirkstall", "LS5", 5),
    ("Headingley", "LS6", 6),
    ("Pudsey", "LS28", 6),
    ("Horsforth", "LS18", 8),
    ("Roundhay", "LS8", 8),
    ("Otley", "LS21", 7),
    ("Wetherby", "LS22", 9),
    ("Alwoodley", "LS17", 9),
    ("Bramhope", "LS16", 10),
)

_STREET_STEMS = """Church Mill Station Victoria Park Albert Queen King Chapel Bridge Green
Manor Hall Grange Spring Well Moor Hill Woodland Oak Ash Elm Beech Cedar Willow
Chestnut Holly Hawthorn Rowan Birch Meadow Field Brook River Canal Lea Dale
Valley Heath Common Cross Market Castle Abbey Priory School Cemetery Forge
Foundry Wharf Dock Quarry Kiln Granary Orchard Cherry Apple Plum Lime Poplar
Laburnum Lilac Primrose Bluebell Clover Heather Fern Ivy Laurel Maple Sycamore
Westfield Eastfield Northfield Southfield Highfield Broadfield Longfield Greenfield
Springfield Ashfield Brookfield Clifton Stanley Gladstone Nelson Wellington
Cromwell Milton Byron Shelley Tennyson Wordsworth Brontë Dickens Austen Ruskin
Lister Fairfax Cavendish Devonshire Clarence Regent Cambridge Oxford Belgrave
Harrogate Otley Wakefield Tadcaster York Selby Ripon Skipton Ilkley Bradford"""

_STREET_KINDS = (
    ("Road", 30),
    ("Street", 25),
    ("Lane", 12),
    ("Avenue", 10),
    ("Close", 8),
    ("Drive", 8),
    ("Terrace", 8),
    ("Grove", 6),
    ("Crescent", 5),
    ("Way", 5),
    ("Gardens", 4),
    ("Place", 4),
    ("Court", 3),
    ("View", 3),
    ("Mount", 3),
)

# Letters allowed in the last two positions of an inward code.
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class Address(NamedTuple):
    """One dwelling: what agencies write as address line and postcode."""

    line: str  # "14 Church Road"
    locality: str
    postcode: str  # "LS6 2AB"
    property_ref: str  # the council's property id, for housing
    sensitive: bool = False  # a refuge: never shown to another household member


class Street(NamedTuple):
    name: str
    locality: str
    postcodes: tuple[str, ...]
    decile: int
    houses: int
    flats: bool


def _build_streets(count_per_neighbourhood: int = 30) -> tuple[Street, ...]:
    """The fixed street table (its own seed: geography does not vary by run)."""
    rng = random.Random(20_251_123)
    stems = _STREET_STEMS.split()
    kinds = [k for k, _ in _STREET_KINDS]
    kind_weights = [w for _, w in _STREET_KINDS]
    used: set[str] = set()
    streets: list[Street] = []
    for locality, outward, decile in NEIGHBOURHOODS:
        for _ in range(count_per_neighbourhood):
            while True:
                name = f"{rng.choice(stems)} {rng.choices(kinds, kind_weights)[0]}"
                if name not in used:
                    used.add(name)
                    break
            postcodes = tuple(
                f"{outward} {rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}"
                f"{rng.choice(_INWARD_LETTERS)}"
                for _ in range(rng.randint(1, 3))
            )
            streets.append(
                Street(name, locality, postcodes, decile, rng.randint(12, 180), rng.random() < 0.3)
            )
    return tuple(streets)


STREETS = _build_streets()
_BY_DECILE: dict[int, tuple[int, ...]] = {
    decile: tuple(i for i, s in enumerate(STREETS) if abs(s.decile - decile) <= 1)
    or tuple(range(len(STREETS)))
    for decile in range(1, 11)
}


def _build_refuges() -> tuple[Address, ...]:
    """Three ordinary-looking houses used as refuges (fixed, like the streets)."""
    rng = random.Random(999)
    refuges = []
    for _ in range(3):
        index = rng.randrange(len(STREETS))
        street = STREETS[index]
        number = rng.randint(1, street.houses)
        refuges.append(
            Address(
                f"{number} {street.name}",
                street.locality,
                street.postcodes[number % len(street.postcodes)],
                f"P{index:04d}{number:03d}00",
                True,
            )
        )
    return tuple(refuges)


REFUGES = _build_refuges()


def draw_address(rng: random.Random, decile: int) -> Address:
    """An address in a neighbourhood near the family's deprivation decile."""
    index = rng.choice(_BY_DECILE[decile])
    street = STREETS[index]
    number = rng.randint(1, street.houses)
    postcode = street.postcodes[number % len(street.postcodes)]
    if street.flats and rng.random() < 0.5:
        flat = rng.randint(1, 24)
        line = f"Flat {flat}, {number} {street.name}"
        ref = f"P{index:04d}{number:03d}{flat:02d}"
    else:
        line = f"{number} {street.name}"
        ref = f"P{index:04d}{number:03d}00"
    return Address(line, street.locality, postcode, ref)


def draw_refuge(rng: random.Random) -> Address:
    """A refuge: looks like any house, but its address is safeguarding-sensitive."""
    return rng.choice(REFUGES)
