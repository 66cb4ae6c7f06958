"""Finding a person: through the door, bounded, a refused match shows no details."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.consent import ConsentLevel
from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.search import MAX_MATCHES, PersonQuery, find_people
from tests.common import builders

pytestmark = pytest.mark.django_db
DIRECT = Purpose.DIRECT_SERVICE_DELIVERY


def test_by_name_and_date_of_birth_a_consenting_child_is_shown_and_logged() -> None:
    fam = builders.family("Findme")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, DIRECT)
    actor = actors.actor_for(builders.staff().user)
    found = find_people(actor, DIRECT, PersonQuery(name="child findme", date_of_birth=date(2016, 9, 1)))
    assert [(m.name, m.shown) for m in found] == [("Child Findme", True)]
    assert "AB1 2CD" in found[0].postcodes
    assert AuditLogEntry.objects.filter(subject_id=fam.child.public_id, decision="allow").exists()


def test_a_refused_match_shows_no_details_only_why_and_the_route() -> None:
    builders.family("Hidden")
    actor = actors.actor_for(builders.staff().user)
    found = find_people(actor, Purpose.SAFEGUARDING_CHILD_PROTECTION, PersonQuery(name="Mother Hidden"))
    assert len(found) == 1 and not found[0].shown
    assert found[0].name == "" and found[0].date_of_birth is None and not found[0].postcodes
    assert found[0].reasons and "break-glass" in found[0].route
    assert "Mother Hidden" not in str(found[0].as_dict())


def test_by_postcode_and_by_nhs_number() -> None:
    fam = builders.family("Codes")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, DIRECT)
    src = fam.child.assignments.first().record.source
    builders.record(src, fam.child, nhs_number="9434765919")
    actor = actors.actor_for(builders.staff().user)
    assert {m.person_id for m in find_people(actor, DIRECT, PersonQuery(postcode="ab1 2cd"))} >= {fam.child.public_id}
    by_nhs = find_people(actor, DIRECT, PersonQuery(nhs_number="943 476 5919"))
    assert [m.person_id for m in by_nhs] == [fam.child.public_id]


def test_results_are_bounded() -> None:
    for i in range(MAX_MATCHES + 1):
        Person.objects.create(display_name=f"Common Name {i}")
    actor = actors.actor_for(builders.staff().user)
    with pytest.raises(InvalidInput) as error:
        find_people(actor, DIRECT, PersonQuery(name="Common Name"))
    assert str(MAX_MATCHES) in error.value.message


@pytest.mark.parametrize(("query", "field"), [
    (PersonQuery(), "name"), (PersonQuery(name="x"), "name"), (PersonQuery(postcode="nowhere"), "postcode"),
    (PersonQuery(nhs_number="1234567890"), "nhs_number"), (PersonQuery(upn="A12"), "upn"),
    (PersonQuery(date_of_birth=date(2999, 1, 1)), "date_of_birth"),
])
def test_a_bad_query_names_its_field(query: PersonQuery, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        query.cleaned()
    assert error.value.where == field


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=120), st.text(max_size=12), st.text(max_size=14))
def test_any_typed_text_is_a_query_or_a_clear_error(name: str, postcode: str, nhs: str) -> None:
    try:
        PersonQuery(name=name, postcode=postcode, nhs_number=nhs).cleaned()
    except InvalidInput as error:
        assert error.where in {"name", "postcode", "nhs_number"}
