"""Small families, staff, linked records, consents and audit facts, for tests in any folder (not a test module)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.adapters.storage.family.models import (
    Household,
    HouseholdMembership,
    Person,
    Relationship,
    SensitiveAddress,
)
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.adapters.storage.sources.models import Extract, Organisation, Source, SourceRecord
from famlink.core.audit import AuditEvent, AuditFacts, Verdict, utc_timestamp
from famlink.core.consent import ConsentLevel
from famlink.core.linkage.addresses import address_key
from famlink.core.linkage.consent import PersonLinkageOutcome
from famlink.core.policy import Relation, Role
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance.consent import ConsentRequest, change_consent

_n = itertools.count(1)
STAFF_PURPOSES = [p.value for p in (Purpose.DIRECT_SERVICE_DELIVERY, Purpose.EARLY_HELP_IDENTIFICATION,
                                    Purpose.SAFEGUARDING_CHILD_PROTECTION)]
ALL_PURPOSES = [p.value for p in Purpose]


def source(sector: str = "health", purposes: list[str] | None = None) -> Source:
    n = next(_n)
    while Source.objects.filter(name=f"{sector}-{n}").exists():  # a bench database built on before
        n = next(_n)
    org, _ = Organisation.objects.get_or_create(
        name=f"{sector.title()} Trust {n}", defaults={"sector": sector, "organisation_type": "public"})
    return Source.objects.create(
        name=f"{sector}-{n}", title=f"{sector} {n}", organisation=org, lawful_basis="public_task",
        purposes=purposes if purposes is not None else ALL_PURPOSES, retention_years=7, refresh="monthly",
        definition_sha256="0" * 64)


def record(src: Source, person: Person, *, category: str = "health.appointment", note: str = "",
           sensitive: bool = False, **fields: Any) -> SourceRecord:
    """One record linked to ``person`` in the current run; ``fields`` sets any other column (address, dates)."""
    extract, _ = Extract.objects.get_or_create(
        source=src, file_sha256=f"{src.pk:064d}",
        defaults={"file_name": "x.csv", "file_format": "csv", "status": Extract.Status.COMPLETE,
                  "received_at": timezone.now()})
    n = next(_n)
    made = SourceRecord.objects.create(
        source=src, extract=extract, row_number=n, local_id=f"L{n}", first_name=person.display_name,
        category=category, note=note, sensitive=sensitive, received_at=timezone.now(), row_checksum="0" * 64,
        **fields)
    run = LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).first() or LinkageRun.objects.create(
        started_at=timezone.now(), status=LinkageRun.Status.COMPLETE, engine="test", model_version="test")
    RecordAssignment.objects.create(run=run, record=made, person=person)
    return made


def user(name: str | None = None) -> User:
    return User.objects.create_user(username=name or f"user{next(_n)}", password="not-a-real-password-1")


def staff(role: Role = Role.PRACTITIONER, *, purposes: list[str] | None = None, sector: str = "",
          authoriser_until: datetime | None = None, lead: bool = False, organisation: Organisation | None = None,
          name: str | None = None) -> StaffActor:
    return StaffActor.objects.create(
        user=user(name), role=role.value, purposes=STAFF_PURPOSES if purposes is None else purposes,
        sector=sector, authoriser_until=authoriser_until, designated_safeguarding_lead=lead,
        organisation=organisation)


def authoriser(**kwargs: object) -> StaffActor:
    return staff(Role.SAFEGUARDING_LEAD, authoriser_until=timezone.now() + timedelta(days=365), lead=True, **kwargs)  # type: ignore[arg-type]


@dataclass
class Family:
    mother: Person
    father: Person
    child: Person
    household: Household
    secrets: list[str] = field(default_factory=list)  # strings that must never leak to another family


def family(tag: str, src: Source | None = None) -> Family:
    """Two adults, one child under both parents' responsibility, records in one source."""
    src = src or source()
    mother = Person.objects.create(display_name=f"Mother {tag}", date_of_birth=date(1985, 3, 1))
    father = Person.objects.create(display_name=f"Father {tag}", date_of_birth=date(1983, 6, 1))
    child = Person.objects.create(display_name=f"Child {tag}", date_of_birth=date(2016, 9, 1))
    home = Household.objects.create()
    for person, role in ((mother, "adult"), (father, "adult"), (child, "child")):
        HouseholdMembership.objects.create(household=home, person=person, role=role,
                                           address=f"1 {tag} Street", postcode="AB1 2CD")
    HouseholdMembership.objects.create(household=Household.objects.create(), person=mother, role="adult",
                                       address=f"Refuge {tag}", postcode="ZZ9 9ZZ", from_date=date(2024, 1, 1))
    refuge = SensitiveAddress.objects.create(key=address_key(f"Refuge {tag}", "ZZ9 9ZZ"), address=f"Refuge {tag}",
                                             postcode="ZZ9 9ZZ", from_date=date(2024, 1, 1), to_date=date.max)
    refuge.protects.add(mother)  # as linkage marks it: she lived there, alone
    for parent in (mother, father):
        Relationship.objects.create(from_person=parent, to_person=child, kind="parent_of", parental_responsibility=True)
    fam = Family(mother, father, child, home)
    for person in (mother, father, child):
        record(src, person, note=f"note about {person.display_name}")
    record(src, child, note=f"sensitive note {tag}", sensitive=True)
    fam.secrets = [mother.display_name, father.display_name, child.display_name, f"{tag} Street",
                   f"Refuge {tag}", f"sensitive note {tag}", mother.public_id, father.public_id, child.public_id]
    return fam


def give_consent(person: Person, level: ConsentLevel, purpose: Purpose) -> None:
    """Consent given as the person would: by themselves if an adult, by a parent for a child."""
    adult = person.date_of_birth is None or person.date_of_birth.year < 2000
    change_consent(ConsentRequest(
        person=person, purpose=purpose, action="give", level=level,
        decided_by_id="self" if adult else "a-parent",
        decided_by=Relation.OWN if adult else Relation.CHILD_UNDER_PR,
    ))


def consenting_family(tag: str, purpose: Purpose = Purpose.DIRECT_SERVICE_DELIVERY) -> Family:
    """A family all of whom agreed to ``purpose`` across services: what a practitioner may read in full."""
    fam = family(tag)
    for person in (fam.mother, fam.father, fam.child):
        give_consent(person, ConsentLevel.ACROSS_SERVICES, purpose)
    return fam


def facts(i: int, subject: str = "P1") -> AuditFacts:
    """The facts of one audit entry: a practitioner viewed ``subject``'s health records, allowed."""
    return AuditFacts(
        actor_id=f"staff-{i % 3}", actor_role="practitioner", organisation="Org", purpose=Purpose.DIRECT_SERVICE_DELIVERY,
        subject_id=subject, data_categories=(DataCategory.HEALTH,), action=AuditEvent.RECORD_VIEWED,
        decision=Verdict.ALLOW, reasons=("consent_sufficient",),
    )


def facts_bytes(i: int) -> bytes:
    """The bytes ``facts(i)`` is hashed as, once placed at index 0 now."""
    return facts(i).entry(index=0, occurred_at=utc_timestamp(timezone.now())).pending_bytes()


def committed_run(outcomes: Mapping[str, PersonLinkageOutcome] | None = None) -> LinkageRun:
    """The current run's audit entry and per-person leaves, as a real run commits them (``commit_run``)."""
    from django.db import transaction

    from famlink.services.linkage.run_log import commit_run

    run = LinkageRun.objects.filter(status=LinkageRun.Status.COMPLETE).first()
    assert run is not None, "make records first (builders.record)"
    rows = list(RecordAssignment.objects.filter(run=run).values_list("record_id", "person_id", "record__source__name"))
    assigned = pd.DataFrame([(r, p) for r, p, _ in rows], columns=["record_id", "person_id"])
    records = pd.DataFrame([(r, s) for r, _, s in rows], columns=["id", "source"])
    with transaction.atomic():
        commit_run(run, assigned, records, outcomes)
    return run


def team_corrects(reference: str, reason: str, correction: Any) -> SourceRecord:
    """A data-team member closes request ``reference`` with a correction (``requests.Correction``), as the
    team pages do; returns the record's new version."""
    from famlink.adapters.storage.governance import actors
    from famlink.adapters.storage.rights.models import RightsRequest
    from famlink.services.rights import requests

    team = staff(Role.DATA_TEAM, purposes=[Purpose.SUBJECT_ACCESS.value])
    requests.decide(actors.actor_for(team.user), team.user, reference, "outcome:correct", reason,
                    correction=correction)
    corrected = RightsRequest.objects.get(reference=reference).corrected_record
    assert corrected is not None
    return corrected


def service_token(name: str | None = None, *, role: Role = Role.PRACTITIONER, scopes: Sequence[str] = (),
                  purposes: Sequence[str] | None = None, days: int | None = None) -> str:
    """A service account's bearer token (``famlink accounts create-service``), every read scope unless told."""
    from famlink.services.accounts.tokens import create_service

    return create_service(name or f"service{next(_n)}", role.value, scopes=scopes, purposes=purposes, days=days).token


def bearer(token: str) -> dict[str, str]:
    """The Django test client's keyword for ``Authorization: Bearer <token>``."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def practitioner_account(name: str = "pat", *, role: Role = Role.PRACTITIONER, password: str = "correct horse battery staple",
                         purposes: list[str] | None = None) -> Any:
    """A practitioner's sign-in with its security codes set up (password and TOTP): returns the ``Account``,
    whose ``totp_secret`` makes codes (``pyotp.TOTP(account.totp_secret).now()``)."""
    import pyotp

    from famlink.adapters.storage.accounts.models import Account
    from famlink.services.accounts.provisioning import create_staff

    create_staff(name, role.value, password=password, purposes=STAFF_PURPOSES if purposes is None else purposes)
    account = Account.objects.get(user__username=name)
    account.totp_secret = pyotp.random_base32()
    account.totp_confirmed_at = account.created_at
    account.save()
    return account


def staff_account(member: StaffActor) -> Account:
    """The staff account a member of staff signs in with (pages need one; the policy reads ``StaffActor``)."""
    found, _ = Account.objects.get_or_create(user=member.user, defaults={"kind": Account.Kind.STAFF})
    return found


def signed_in_staff(client: Client, member: StaffActor) -> Client:
    """A client signed in as ``member`` with their second factor passed this session."""
    client.force_login(staff_account(member).user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


@dataclass
class BreakGlassCast:
    """Who takes part in a break-glass: the practitioner asks, the lead authorises, the reviewer reviews."""

    practitioner: StaffActor
    lead: StaffActor
    reviewer: StaffActor
    other: StaffActor  # another practitioner, who must see none of it


def break_glass_cast(tag: str = "") -> BreakGlassCast:
    org = Organisation.objects.get_or_create(name="Exampleshire Children's Services",
                                             defaults={"sector": "childrens_social_care", "organisation_type": "public"})[0]
    return BreakGlassCast(
        practitioner=staff(name=f"sw{tag}", organisation=org),
        lead=authoriser(name=f"dsl{tag}", organisation=org),
        reviewer=staff(Role.INDEPENDENT_REVIEWER, name=f"reviewer{tag}", purposes=[]),
        other=staff(name=f"hv{tag}"),
    )
