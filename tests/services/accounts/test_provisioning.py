"""Choosing the demo's parents: families a visitor can learn from."""

from __future__ import annotations

from datetime import date

import pytest

from famlink.adapters.storage.family.models import Person, Relationship
from famlink.services.accounts.provisioning import (
    create_parent,
    demo_parent_candidates,
    demo_refuge_parents,
)
from tests.adapters.storage.linkage.refuge import refuge_family

pytestmark = pytest.mark.django_db


def parent_of(child_born: date, name: str) -> tuple[Person, Person]:
    parent = Person.objects.create(display_name=f"Parent {name}", date_of_birth=date(1980, 1, 1))
    child = Person.objects.create(display_name=f"Child {name}", date_of_birth=child_born)
    Relationship.objects.create(from_person=parent, to_person=child, kind="parent_of", parental_responsibility=True)
    return parent, child


def test_parents_of_children_under_18_with_a_missed_appointment_come_first() -> None:
    grown_up, grown_child = parent_of(date(1990, 5, 1), "A")  # sorts first by id, but the child is an adult
    plain, _ = parent_of(date(2015, 5, 1), "B")
    missed, missed_child = parent_of(date(2016, 5, 1), "C")
    chosen = demo_parent_candidates(2, prefer_children={missed_child.pk, grown_child.pk})
    assert chosen == [missed, plain]
    assert grown_up not in chosen  # a parent who would see no child's records


def test_the_demo_finds_a_refuge_mother_and_the_father_she_left() -> None:
    fam = refuge_family("Demo")
    assert demo_refuge_parents() == (fam.mother, fam.father)
    others = demo_parent_candidates(2, taken=[fam.mother, fam.father])
    assert not {fam.mother, fam.father} & set(others)  # their family is not signed in twice
    create_parent("refuge-mum", fam.mother, password="not-a-real-password-1")
    assert demo_refuge_parents() is None  # she has a sign-in already
