"""A linked family with everything a download holds (not a test module).

Records from several organisations with statuses, a correction, a dispute
and a family statement, links with explanations, a flag with its inputs,
consents and an opt-out, and staff looks in the access log. Used by the
export and download tests and by bench/portal/export_bench.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from famlink.adapters.storage.family.models import (
    Household,
    HouseholdMembership,
    Person,
    Relationship,
)
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.linkage.models import LinkageRun, PairLink
from famlink.adapters.storage.registers.models import FlagNotice, ScoringRun
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.consent import ConsentLevel
from famlink.core.policy import Actor, Relation, Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.accounts.provisioning import create_parent
from famlink.services.governance import door
from famlink.services.governance.consent import ConsentRequest, change_consent, set_opt_out
from famlink.services.rights import requests
from tests.common import builders

_n = itertools.count(1)
PASSWORD = "not-a-real-password-1"
KINDS = (
    ("health", "health.appointment", ["did_not_attend", "cancelled_by_provider", "attended"]),
    ("education", "education.attendance", ["", "closed"]),
    ("childrens_social_care", "social_care.referral", ["unsubstantiated", "no_further_action", "open"]),
)


@dataclass
class LinkedFamily:
    parent: Person
    other_parent: Person
    children: list[Person]
    user: User
    records: list[SourceRecord] = field(default_factory=list)
    disputed: SourceRecord | None = None
    secrets: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        return [self.parent, *self.children]


def linked_family(tag: str, *, children: int = 1, records_per_person: int = 3, staff_looks: int = 2,
                  child_birth_year: int = 2016) -> LinkedFamily:
    """Two parents and ``children`` children, records linked to each, and one of everything else."""
    sources = [builders.source(sector) for sector, _, _ in KINDS]
    mother = Person.objects.create(display_name=f"Mother {tag}", date_of_birth=date(1985, 3, 1))
    father = Person.objects.create(display_name=f"Father {tag}", date_of_birth=date(1983, 6, 1))
    home = Household.objects.create()
    kids = []
    for i in range(children):
        kid = Person.objects.create(display_name=f"Child {tag} {i + 1}",
                                    date_of_birth=date(child_birth_year - i, 9, 1 + i % 27))
        kids.append(kid)
    for person, role in ((mother, "adult"), (father, "adult"), *((k, "child") for k in kids)):
        HouseholdMembership.objects.create(household=home, person=person, role=role,
                                           address=f"1 {tag} Street", postcode="AB1 2CD")
    HouseholdMembership.objects.create(household=Household.objects.create(), person=father, role="adult",
                                       address=f"Father's flat {tag}", postcode="AB9 9CD")  # his alone
    for parent in (mother, father):
        for kid in kids:
            Relationship.objects.create(from_person=parent, to_person=kid, kind="parent_of",
                                        parental_responsibility=True)
    create_parent(f"parent-{tag}".lower().replace(" ", "-"), mother, password=PASSWORD)
    user = User.objects.get(username=f"parent-{tag}".lower().replace(" ", "-"))
    fam = LinkedFamily(mother, father, kids, user)
    today = timezone.localdate()
    for person in (mother, *kids):
        made = []
        for i in range(records_per_person):
            (_, category, statuses), src = KINDS[i % len(KINDS)], sources[i % len(KINDS)]
            record = builders.record(src, person, category=category, note=f"{category} note {i} for {person.display_name}")
            record.status = statuses[(i // len(KINDS)) % len(statuses)]
            record.event_date = today - timedelta(days=30 * (i + 1))
            record.save(update_fields=["status", "event_date"])
            made.append(record)
        fam.records.extend(made)
        run = LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).first()
        for left, right in itertools.pairwise(made[:6]):
            PairLink.objects.create(run=run, record_l=left, record_r=right, match_probability=0.997, match_weight=9.1,
                                    levels=[{"comparison": "dob", "level": 3, "label": "same date of birth", "weight": 6.2},
                                            {"comparison": "surname", "level": 2, "label": "surnames differ by a letter",
                                             "weight": 2.9}])
    fam.records.append(builders.record(sources[0], father, note=f"father's own note {tag}"))
    fam.secrets = [father.display_name, f"father's own note {tag}", f"Father's flat {tag}"]
    actor = actor_for(user)
    if kids:
        child_records = [r for r in fam.records if r.assignments.filter(person=kids[0]).exists()]
        fam.disputed = child_records[0]
        requests.report(actor, user, kids[0], child_records[0].pk, "request:rectification",
                        f"The hospital cancelled this appointment ({tag}).")
        requests.report(actor, user, kids[0], child_records[-1].pk, "request:context",
                        f"He was on the trampoline, not outside with no shoes ({tag}).")
        scoring = ScoringRun.objects.create(model_id="early-help-example", ran_at=timezone.now(), allowed=True,
                                            state="active")
        FlagNotice.objects.create(
            run=scoring, model_id="early-help-example", household_ref=home.public_id, person_ref=kids[0].public_id,
            score=0.81, inputs=[{"input": "missed_appointments", "label": "Missed health appointments", "value": 2.0,
                                 "push": 0.4}],
            title="We think your family might want some early help", message="A computer model suggested support.",
            how_to_object="Tell the early help team.", created_at=timezone.now())
        born = kids[0].date_of_birth
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        own = age >= 16  # 16 or over: they decide for themselves
        change_consent(ConsentRequest(person=kids[0], purpose=Purpose.DIRECT_SERVICE_DELIVERY, action="give",
                                      level=ConsentLevel.ACROSS_SERVICES,
                                      decided_by_id=kids[0].public_id if own else actor.id,
                                      decided_by=Relation.OWN if own else Relation.CHILD_UNDER_PR))
    change_consent(ConsentRequest(person=mother, purpose=Purpose.RESEARCH_STATISTICS, action="refuse",
                                  level=ConsentLevel.NO_LINKING, decided_by_id=actor.id, decided_by=Relation.OWN))
    set_opt_out(mother, "sharing", True, recorded_by=actor)
    staff = Actor(id=f"practitioner-{tag}", role=Role.DPO, purposes=frozenset({Purpose.SUBJECT_ACCESS}))
    for i in range(staff_looks):
        person = fam.people[i % len(fam.people)]
        with door.open(staff, Purpose.SUBJECT_ACCESS, person, (DataCategory.IDENTITY,)):
            pass
    return fam


__all__ = ["PASSWORD", "LinkedFamily", "linked_family"]
