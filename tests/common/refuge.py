"""A family who fled to a refuge, as linkage finds it (not a test module).

The mother took some or all of the children to a refuge after domestic
abuse; the father stayed at home. As in real extracts, only the housing
tenancy at the refuge is marked sensitive: the children's GP registrations
and appointments there, and any record that names the address in its note,
are not. Households, parental responsibility and sensitive addresses are
then found by linkage's own code (``rebuild_households``), so the father
holds parental responsibility for every child because he lived with them
and shares their surname. Used by the refuge tests in tests/web and
tests/adapters/storage/linkage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.linkage.households import rebuild_households
from famlink.adapters.storage.linkage.models import LinkageRun
from famlink.adapters.storage.sources.models import Source, SourceRecord
from tests.common import builders


@dataclass
class RefugeFamily:
    mother: Person
    father: Person
    children: list[Person]
    went: list[Person]  # the children who went to the refuge with their mother
    refuge_line: str
    refuge_postcode: str
    fled: date
    left: date
    refuge_records: list[SourceRecord] = field(default_factory=list)  # every record at the refuge address
    records: list[SourceRecord] = field(default_factory=list)

    @property
    def protected(self) -> list[Person]:
        """Who the refuge protects: the people who lived there."""
        return [self.mother, *self.went]


def refuge_family(
    tag: str,
    *,
    refuge_line: str = "7 Quiet Lane",
    refuge_postcode: str = "LS9 9QQ",
    children: int = 2,
    went: int | None = None,
    fled_days_ago: int = 700,
    stay_days: int = 200,
    note_names_refuge: bool = True,
    stale_after_leaving: bool = False,
) -> RefugeFamily:
    """Build, link and rebuild households for one family; ``tag`` must be letters only (it is the surname)."""
    today = timezone.localdate()
    fled = today - timedelta(days=fled_days_ago)
    left = fled + timedelta(days=stay_days)
    home_from = fled - timedelta(days=6 * 365)
    surname = f"Fled{tag}"
    sources: dict[str, Source] = {s: builders.source(s) for s in ("housing", "health", "education")}
    mother = Person.objects.create(display_name=f"Mother {surname}", date_of_birth=date(1986, 4, 2))
    father = Person.objects.create(display_name=f"Father {surname}", date_of_birth=date(1984, 9, 9))
    kids = [Person.objects.create(display_name=f"Child{i} {surname}",
                                  date_of_birth=today - timedelta(days=365 * (7 + 2 * i) + 11 * i))
            for i in range(children)]
    gone = kids[: children if went is None else went]
    fam = RefugeFamily(mother, father, kids, gone, refuge_line, refuge_postcode, fled, left)
    home = f"{21 + len(tag)} Oak Road, Riverside"
    home_postcode = "LS6 2AB"
    after = f"3 Elm Court, Riverside {tag}"

    def add(person: Person, sector: str, category: str, on: date, address: str, postcode: str, *,
            sensitive: bool = False, note: str = "") -> SourceRecord:
        made = builders.record(
            sources[sector], person, category=category, note=note, sensitive=sensitive, surname=surname,
            date_of_birth=person.date_of_birth, address=address, postcode=postcode, event_date=on)
        fam.records.append(made)
        if address.startswith(refuge_line):
            fam.refuge_records.append(made)
        return made

    for person in (mother, father, *kids):  # the years at home together
        start = max(home_from, person.date_of_birth + timedelta(days=30))
        for n in range(4):
            add(person, "health", "health.appointment", start + (fled - start) * n / 4, home, home_postcode,
                note=f"seen at the surgery ({person.display_name})")
    add(father, "health", "health.appointment", today - timedelta(days=40), home, home_postcode)
    for kid in kids[len(gone):]:  # a child who stayed with their father
        add(kid, "education", "education.attendance", today - timedelta(days=60), home, home_postcode)

    refuge = f"{refuge_line}, Riverside"
    add(mother, "housing", "housing.tenancy", fled + timedelta(days=3), refuge, refuge_postcode, sensitive=True)
    add(mother, "health", "health.registration", fled + timedelta(days=15), refuge, refuge_postcode)
    for i, kid in enumerate(gone):
        add(kid, "health", "health.registration", fled + timedelta(days=20 + i), refuge, refuge_postcode,
            note=f"registered while living at {refuge_line}" if note_names_refuge else "")
        add(kid, "education", "education.attendance", fled + timedelta(days=stay_days // 2), refuge.upper(),
            refuge_postcode)
        if stale_after_leaving:  # an agency still has the refuge months after they left
            add(kid, "health", "health.appointment", left + timedelta(days=90), refuge, refuge_postcode)
    for person in (mother, *gone):  # a new home afterwards
        add(person, "health", "health.registration", left + timedelta(days=10), after, "LS7 3CD")
        add(person, "health", "health.appointment", today - timedelta(days=30), after, "LS7 3CD")
    rebuild_households(LinkageRun.objects.get(pk=fam.records[0].assignments.get().run_id))
    return fam


__all__ = ["RefugeFamily", "refuge_family"]
