"""The caseload: who works with which family, lead first, with the alerts they have not read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.actors import actor_for
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.workspace.models import Alert, CaseAllocation
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.policy import Role
from famlink.services.workspace.alerts import raise_alert
from famlink.services.workspace.caseload import allocate, allocate_once, caseload_of, end_allocation
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_a_practitioner_sees_the_families_allocated_to_them_and_no_others() -> None:
    fam, other = builders.family("Case"), builders.family("Other")
    jo = builders.staff(name="jo")
    builders.staff(name="kim")
    allocate("jo", fam.mother.public_id)
    allocate("jo", fam.child.public_id, lead=True, contact="01632 960001", case_reference="CS-1")
    allocate("kim", other.child.public_id)
    rows = caseload_of(actor_for(jo.user))
    assert [(r.person_id, r.part, r.contact, r.case_reference) for r in rows] == [
        (fam.child.public_id, "lead practitioner", "01632 960001", "CS-1"), (fam.mother.public_id, "involved", "", "")]
    assert rows[0].unacknowledged == 0


def test_alerts_about_the_family_count_on_the_allocated_childs_row() -> None:
    fam = builders.family("Count")
    jo = builders.staff(name="jo")
    allocate("jo", fam.child.public_id)
    raise_alert(fam.mother, Alert.Kind.STATEMENT, "The family added their side to a record from Somewhere")
    raise_alert(fam.child, Alert.Kind.NEW_RECORD, "A new record from Somewhere")
    assert caseload_of(actor_for(jo.user))[0].unacknowledged == 2


def test_one_lead_at_a_time_and_one_open_allocation_each() -> None:
    fam = builders.family("Lead")
    builders.staff(name="jo")
    builders.authoriser(name="dsl")
    allocate("jo", fam.child.public_id, lead=True)
    with pytest.raises(Conflict, match="jo is the lead practitioner"):
        allocate("dsl", fam.child.public_id, lead=True)
    with pytest.raises(Conflict, match="already on jo's caseload"):
        allocate("jo", fam.child.public_id)
    assert allocate_once("jo", fam.child.public_id).part == CaseAllocation.Part.LEAD  # kept as it was
    allocate("dsl", fam.child.public_id)  # involved, not leading: fine
    ended = end_allocation("jo", fam.child.public_id)
    assert ended.to_date is not None
    assert allocate("dsl", fam.father.public_id, lead=True).part == CaseAllocation.Part.LEAD
    allocate("jo", fam.child.public_id)  # back on the caseload: a new allocation, the old one kept as history
    assert CaseAllocation.objects.filter(staff__user__username="jo").count() == 2


def test_only_practitioners_and_safeguarding_leads_hold_a_caseload() -> None:
    fam = builders.family("Who")
    builders.staff(Role.DATA_TEAM, name="team")
    with pytest.raises(InvalidInput, match="only practitioners and safeguarding leads"):
        allocate("team", fam.child.public_id)
    with pytest.raises(NotFound, match="No member of staff called nobody"):
        allocate("nobody", fam.child.public_id)
    builders.staff(name="jo")
    with pytest.raises(NotFound, match="not on jo's caseload"):
        end_allocation("jo", fam.child.public_id)


@settings(max_examples=25, deadline=None)
@given(person=st.text(min_size=1, max_size=40), contact=st.text(alphabet="ab é\x00", min_size=1, max_size=220))
def test_any_text_for_a_person_or_a_long_contact_is_a_clear_error(person: str, contact: str) -> None:
    if not StaffActor.objects.filter(user__username="hyp").exists():
        builders.staff(name="hyp")
        builders.family("Hyp")
    with pytest.raises(NotFound, match="No person with id"):
        allocate("hyp", person)
    child = Person.objects.get(display_name="Child Hyp")
    try:
        allocate("hyp", child.public_id, contact=contact)
    except InvalidInput as error:  # too long, or a NUL: said, nothing kept
        assert error.where == "--contact" and not CaseAllocation.objects.exists()
    else:
        assert "\x00" not in contact and len(contact.strip()) <= 200
        CaseAllocation.objects.all().delete()
