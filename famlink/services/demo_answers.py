"""The demo's parents answer the question "may we match your records across services?".

Nobody in a real council has answered before famlink asks, and an answer is
recorded against a person, who exists only once linkage has run. So the demo
follows the real lifecycle: the first run matches records within each
service only (nobody has said yes); parents then answer, each once, at one
service (the person their first record is in); the second run joins the
records of those who said yes across services.

The rates are the research's (../shared/research/001_*.txt, policy brief
"Parents' views on administrative data linkage and analytics", Edwards et al.
2023): "only around half of parents overall trust Government and services to
share administrative records", so half say yes. The brief gives no figure
for how many of the rest say no rather than never answer; the demo assumes
an even split (a quarter each), and says so (docs/linkage.md, README).
One answer per household: a parent decides for their children under 16 and,
in the demo, for the household.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import Consent
from famlink.adapters.storage.linkage.models import RecordAssignment, latest_run
from famlink.core.consent import ConsentAction, ConsentLevel, ConsentState
from famlink.core.consent.change import decides_alone
from famlink.core.people import age_on
from famlink.core.roles import Relation
from famlink.core.taxonomy import Purpose
from famlink.services.governance.consent import ConsentRequest, change_consent

#: Share of households saying yes (the brief: "only around half ... trust ... to share administrative records").
SAY_YES = 0.5
#: Share saying no; the rest never answer (the brief gives no split: an even one is assumed).
SAY_NO = 0.25
WHO = "demo-simulated-parent"


def answered() -> bool:
    """Whether anyone has answered about matching yet (the demo simulates answers once)."""
    return Consent.objects.filter(purpose=Purpose.RECORD_LINKAGE).exists()


def simulate_answers(out_dir: Path, seed: int) -> dict[str, int]:
    """Record each household's simulated answer on its people, as of the latest run. Returns the counts."""
    holder: dict[tuple[str, str], int] = {
        (source, local): person for source, local, person in RecordAssignment.objects.filter(
            run=latest_run()).values_list("record__source__name", "record__local_id", "person_id")}
    first: dict[str, int] = {}  # true person -> the person their first record is in (where they answer)
    household_of: dict[str, str] = {}
    with (out_dir / "truth.csv").open(encoding="utf-8") as fh:
        for row in sorted(csv.DictReader(fh), key=lambda r: (r["person_id"], r["source"], r["record_key"])):
            found = holder.get((row["source"], row["record_key"]))
            if found is not None and row["person_id"] not in first:
                first[row["person_id"]] = found
                household_of[row["person_id"]] = row["household_id"]
    draw = random.Random(seed)
    answer: dict[str, ConsentAction | None] = {}
    for household in sorted(set(household_of.values())):
        roll = draw.random()
        answer[household] = (ConsentAction.GIVE if roll < SAY_YES else
                             ConsentAction.REFUSE if roll < SAY_YES + SAY_NO else None)
    people = Person.objects.in_bulk(set(first.values()))
    today = timezone.localdate()
    counts = {"yes": 0, "no": 0, "no answer": 0}
    done: set[int] = set()
    for true_person, pk in sorted(first.items()):
        action = answer[household_of[true_person]]
        if action is None or pk in done:
            counts["no answer"] += action is None
            continue
        done.add(pk)
        person = people[pk]
        age = age_on(person.date_of_birth, today)
        alone = age is None or decides_alone(age)
        change_consent(ConsentRequest(
            person=person, purpose=Purpose.RECORD_LINKAGE, action=action, decided_by_id=WHO,
            decided_by=Relation.OWN if alone else Relation.CHILD_UNDER_PR,
            level=ConsentLevel.ACROSS_SERVICES, subject_age=30 if age is None else None))
        counts["yes" if action is ConsentAction.GIVE else "no"] += 1
    return counts


def said_yes(person: Person) -> bool | None:
    """The person's answer about matching (theirs, or that of a person merged into them): None if none."""
    rows = Consent.objects.filter(purpose=Purpose.RECORD_LINKAGE, organisation__isnull=True).filter(
        Q(person=person) | Q(person__merged_into=person)).values_list("state", flat=True)
    states = set(rows)
    if not states:
        return None
    return ConsentState.GIVEN.value in states and ConsentState.REFUSED.value not in states


def spans_services(person: Person) -> bool:
    """Whether the latest run joined records of this person from more than one service: what a parent who
    said yes should see matched in the portal (a parent known only to their GP has nothing to join)."""
    sectors = (RecordAssignment.objects.filter(run=latest_run(), person=person)
               .values_list("record__source__organisation__sector", flat=True).distinct())
    return len(set(sectors)) > 1


def held_apart(person: Person, out_dir: Path) -> bool:
    """Whether records of the same (synthetic, truly known) human from another service sit in other persons:
    what a parent who did not say yes should see unmatched in the portal."""
    run = latest_run()
    truth: dict[tuple[str, str], str] = {}
    with (out_dir / "truth.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[(row["source"], row["record_key"])] = row["person_id"]
    rows = RecordAssignment.objects.filter(run=run).values_list(
        "record__source__name", "record__local_id", "record__source__organisation__sector", "person_id")
    mine = {truth.get((source, local)) for source, local, _sector, pk in rows if pk == person.pk} - {None}
    own = {sector for _source, _local, sector, pk in rows if pk == person.pk}
    return any(truth.get((source, local)) in mine and pk != person.pk and sector not in own
               for source, local, sector, pk in rows)
