"""Making accounts: parents and staff the door knows, and the demo's parents, families a visitor can learn from."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pyotp
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.adapters.storage.accounts.models import Account, ExternalIdentity
from famlink.adapters.storage.family.models import Person, Relationship
from famlink.adapters.storage.governance.models import StaffActor
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.roles import Role, StaffJob
from famlink.services.accounts.provisioning import (
    create_parent,
    create_staff,
    demo_accounts,
    demo_parent_candidates,
    demo_refuge_parents,
    link_identity,
)
from tests.common import builders
from tests.common.refuge import refuge_family

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


def test_making_accounts() -> None:
    person = Person.objects.create(display_name="Kim")
    made = create_parent("kim", person)
    account = Account.objects.get(user__username="kim")
    assert account.person == person and account.verified_by == "data_team"
    assert account.user.password.startswith("argon2") and made.password not in account.user.password
    with pytest.raises(Conflict):
        create_parent("KIM", None)
    with pytest.raises(InvalidInput):
        create_staff("boss", "superuser")
    with pytest.raises(InvalidInput):
        create_parent("short", None, password="abc")


def demo_sources() -> None:
    """The services the demo's practitioners work in, as its sources register them."""
    for sector in ("health", "education", "childrens_social_care"):
        builders.source(sector)


def test_demo_accounts_are_stable_and_idempotent() -> None:
    demo_sources()
    a, b = Person.objects.create(display_name="A"), Person.objects.create(display_name="B")
    first = demo_accounts([a, b])
    again = demo_accounts([a, b])
    assert first == again
    assert [x["role"] for x in first] == ["parent", "parent", *(job.value for job in StaffJob)]
    assert [x["person_id"] for x in first] == [a.public_id, b.public_id, *([None] * len(StaffJob))]
    assert all(set(x) == {"role", "username", "password", "person_id", "totp_secret"} for x in first)
    assert [x["totp_secret"] for x in first[:2]] == [None, None]


def test_demo_staff_can_make_codes_and_hold_the_jobs_they_are_named_for() -> None:
    demo_sources()
    made = demo_accounts([Person.objects.create(display_name="A")])
    for entry in made[1:]:
        account = Account.objects.select_related("user__staff_actor").get(user__username=entry["username"])
        staff = account.user.staff_actor
        assert account.kind == Account.Kind.STAFF and account.totp_confirmed_at is not None
        assert account.totp_secret == entry["totp_secret"] and pyotp.TOTP(entry["totp_secret"]).now().isdigit()
        assert staff.job == entry["role"] and staff.role == StaffJob(staff.job).role.value
        if staff.role == Role.PRACTITIONER:
            assert staff.organisation is not None and staff.sector  # every practitioner: an organisation and a service
    dsl = StaffActor.objects.get(job=StaffJob.DESIGNATED_SAFEGUARDING_LEAD)
    assert dsl.designated_safeguarding_lead and dsl.authoriser_until > timezone.now() + timedelta(days=300)
    assert StaffActor.objects.get(job=StaffJob.HEALTH_VISITOR).sector == "health"


def test_the_demo_needs_its_sources_for_its_practitioners() -> None:
    with pytest.raises(InvalidInput, match="ingest an extract first"):
        demo_accounts([])


def test_a_job_gives_the_role_and_a_practitioner_needs_an_organisation_and_a_service() -> None:
    src = builders.source("health")
    made = create_staff("hv", job="health_visitor", organisation=src.organisation.name, service="health")
    staff = StaffActor.objects.get(user__username="hv")
    assert made.role == "practitioner" and staff.job == "health_visitor" and staff.sector == "health"
    assert create_staff("rev", job="independent_reviewer").role == "independent_reviewer"
    assert create_staff("old", "auditor").job is None  # --role alone still works
    with pytest.raises(InvalidInput, match="needs --organisation and --service"):
        create_staff("sw", job="social_worker", organisation=src.organisation.name)
    with pytest.raises(InvalidInput, match="not a staff job"):
        create_staff("x1", job="headteacher")
    with pytest.raises(InvalidInput, match="acts as a practitioner"):
        create_staff("x2", "dpo", job="early_help_worker", organisation=src.organisation.name, service="health")
    with pytest.raises(InvalidInput, match="not a service"):
        create_staff("x3", job="early_help_worker", organisation=src.organisation.name, service="space")
    assert not Account.objects.filter(user__username__in=["sw", "x1", "x2", "x3"]).exists()


def test_a_council_sign_in_reaches_a_staff_account_only_once_the_data_team_links_it() -> None:
    create_staff("dana", job="data_team", identity=("https://login.council.example", "abc"))
    create_staff("evan", job="dpo")
    assert link_identity("evan", "https://login.council.example", " evan-1 ").subject == "evan-1"
    assert link_identity("evan", "https://login.council.example", "evan-1").subject == "evan-1"  # again: no change
    with pytest.raises(Conflict, match="already linked to dana"):
        link_identity("evan", "https://login.council.example", "abc")
    create_parent("pat", None)
    with pytest.raises(NotFound, match="No staff account called pat"):
        link_identity("pat", "https://login.council.example", "p")
    with pytest.raises(InvalidInput):
        link_identity("evan", " ", "p")
    assert ExternalIdentity.objects.count() == 2


def test_a_staff_account_can_read_through_the_policy_door() -> None:
    from django.contrib.auth import get_user_model

    from famlink.adapters.storage.governance.actors import actor_for
    from famlink.adapters.storage.sources.models import Organisation
    from famlink.core.policy import Role
    from famlink.core.taxonomy import DataCategory, Purpose
    from famlink.services.governance import door

    council = Organisation.objects.create(name="Exampleshire Council", sector="childrens_social_care",
                                          organisation_type="public")
    create_staff("rita", "data_team", organisation=council.name)
    actor = actor_for(get_user_model().objects.get(username="rita"))
    assert actor.role is Role.DATA_TEAM and actor.organisation == council.name
    assert Purpose.SUBJECT_ACCESS in actor.purposes and Purpose.FRAUD_DEBT not in actor.purposes
    person = Person.objects.create(display_name="Kay")
    with door.open(actor, Purpose.SUBJECT_ACCESS, person, [DataCategory.IDENTITY]) as grant:
        assert grant.decision.allow

    create_staff("pat", "practitioner", purposes=["service.direct_delivery"])
    assert actor_for(get_user_model().objects.get(username="pat")).purposes == {Purpose.DIRECT_SERVICE_DELIVERY}
    with pytest.raises(InvalidInput, match="does not let a practitioner use"):
        create_staff("sam.p", "practitioner", purposes=["research.pseudonymised_statistics"])
    with pytest.raises(InvalidInput, match="not a purpose"):
        create_staff("sam.q", "practitioner", purposes=["snooping"])
    with pytest.raises(NotFound, match="No organisation called Nowhere"):
        create_staff("sam.r", "practitioner", organisation="Nowhere")
    assert not get_user_model().objects.filter(username__startswith="sam.").exists()  # nothing half-made


def test_the_demo_data_team_member_is_a_records_officer_the_door_knows() -> None:
    from famlink.core.taxonomy import Purpose

    demo_sources()
    a = Person.objects.create(display_name="A")
    demo_accounts([a])
    StaffActor.objects.filter(user__username="datateam").delete()  # a demo made before staff were authorised
    demo_accounts([a])
    staff = StaffActor.objects.get(user__username="datateam")
    assert staff.role == "data_team"
    assert Purpose.SUBJECT_ACCESS.value in staff.purposes and Purpose.RECORD_LINKAGE.value in staff.purposes


@settings(max_examples=30, deadline=None)
@given(username=st.text(max_size=20), subject=st.text(max_size=20))
def test_any_text_to_link_a_council_sign_in_is_linked_or_a_clear_error(username: str, subject: str) -> None:
    if not Account.objects.filter(user__username="hyp.staff").exists():
        create_staff("hyp.staff", job="auditor")
    for name in (username, "hyp.staff"):
        with contextlib.suppress(InvalidInput, NotFound, Conflict):  # refused in words: fine
            link_identity(name, "https://login.council.example", subject)
    assert all(i.subject and "\x00" not in i.subject for i in ExternalIdentity.objects.all())
