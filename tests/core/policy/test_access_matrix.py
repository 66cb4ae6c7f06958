"""The access matrix: who may see what, for which purpose, in which circumstances.

Each row is one situation a person could describe in words; the id says it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from famlink.core.consent.states import ConsentLevel, ConsentState
from famlink.core.policy import (
    Actor,
    ConsentBasis,
    ConsentModel,
    Context,
    ObligationKind,
    ReasonCode,
    Relation,
    Role,
    Subject,
    break_glass_notice,
    decide,
)
from famlink.core.taxonomy import DataCategory, Purpose, Sector

from .scenarios import (
    CHILD,
    FATHER,
    MOTHER,
    NOW,
    REVIEW_BY,
    consents_for_all,
    context,
    glass,
    grant,
    parent,
    staff,
    subject,
    withholding,
)

R = ReasonCode
OB = ObligationKind
P = Purpose
HEALTH = frozenset({DataCategory.HEALTH})
IDENTITY = frozenset({DataCategory.IDENTITY})
ONE_SECTOR = frozenset({Sector.HEALTH})
NO_CONSENT: dict = {}
CP = P.SAFEGUARDING_CHILD_PROTECTION
LINKER = Actor("linker", Role.SYSTEM, purposes=frozenset({P.RECORD_LINKAGE}))
DSD = P.DIRECT_SERVICE_DELIVERY
SAR = P.SUBJECT_ACCESS


@dataclass(frozen=True)
class Case:
    id: str
    actor: Actor
    purpose: Purpose
    subject: Subject
    allow: bool
    codes: tuple[ReasonCode, ...] = ()
    obligations: tuple[ObligationKind, ...] = ()
    categories: frozenset[DataCategory] = HEALTH
    ctx: Context = field(default_factory=context)


FATHERS_CHILD = Relation.CHILD_UNDER_PR
REFUGE = {"safeguarding_sensitive": True, "sensitive_protects": frozenset({MOTHER})}

CASES = [
    # --- parents: their own and their children's, nothing else -------------------
    Case(
        "parent sees own record",
        parent(FATHER),
        SAR,
        subject(FATHER, adult=True, relation=Relation.OWN),
        True,
        (R.OWN_RECORD,),
        (OB.AUDIT, OB.SHOW_DISPUTES),
    ),
    Case(
        "parent sees child under PR",
        parent(FATHER),
        SAR,
        subject(CHILD, relation=FATHERS_CHILD),
        True,
        (R.CHILD_UNDER_PR,),
    ),
    Case(
        "parent sees child even with no consents or opt-outs (right of access)",
        parent(FATHER),
        SAR,
        subject(
            CHILD,
            relation=FATHERS_CHILD,
            consents=NO_CONSENT,
            opted_out_of_sharing=True,
            opted_out_of_linkage=True,
        ),
        True,
    ),
    Case(
        "parent never sees other adult in household",
        parent(FATHER),
        SAR,
        subject(MOTHER, adult=True, relation=Relation.OTHER_ADULT_IN_HOUSEHOLD),
        False,
        (R.OTHER_ADULTS_RECORD,),
    ),
    Case(
        "parent never sees unrelated person",
        parent(FATHER),
        SAR,
        subject("person-x", relation=Relation.UNRELATED),
        False,
        (R.UNRELATED_PERSON,),
    ),
    Case(
        "parent cannot claim OWN for someone else's id",
        parent(FATHER),
        SAR,
        subject(MOTHER, adult=True, relation=Relation.OWN),
        False,
        (R.UNRELATED_PERSON,),
    ),
    Case(
        "PR ends at adulthood",
        parent(FATHER),
        SAR,
        subject(CHILD, adult=True, relation=FATHERS_CHILD),
        False,
        (R.CHILD_NOW_ADULT,),
    ),
    Case(
        "father never sees mother's refuge address on the child's record",
        parent(FATHER),
        SAR,
        subject(CHILD, relation=FATHERS_CHILD, **REFUGE),
        False,
        (R.SAFEGUARDING_SENSITIVE,),
        categories=frozenset({DataCategory.CONTACT}),
    ),
    Case(
        "mother sees her own refuge address on the child's record",
        parent(MOTHER),
        SAR,
        subject(CHILD, relation=FATHERS_CHILD, **REFUGE),
        True,
        (R.CHILD_UNDER_PR, R.SENSITIVE_PROTECTS_ACTOR),
        categories=frozenset({DataCategory.CONTACT}),
    ),
    Case(
        "father never sees mother's address even on his own record",
        parent(FATHER),
        SAR,
        subject(FATHER, adult=True, relation=Relation.OWN, **REFUGE),
        False,
        (R.SAFEGUARDING_SENSITIVE,),
    ),
    Case(
        "sensitive marker naming nobody: visible on own record",
        parent(MOTHER),
        SAR,
        subject(MOTHER, adult=True, relation=Relation.OWN, safeguarding_sensitive=True),
        True,
        (R.OWN_RECORD,),
    ),
    Case(
        "sensitive marker naming nobody: hidden on child's record",
        parent(MOTHER),
        SAR,
        subject(CHILD, relation=FATHERS_CHILD, safeguarding_sensitive=True),
        False,
        (R.SAFEGUARDING_SENSITIVE,),
    ),
    Case(
        "parent uses only subject access",
        parent(FATHER),
        DSD,
        subject(FATHER, adult=True, relation=Relation.OWN),
        False,
        (R.PARENT_SUBJECT_ACCESS_ONLY,),
    ),
    Case(
        "parent cannot do research",
        parent(FATHER),
        P.RESEARCH_STATISTICS,
        subject(CHILD, relation=FATHERS_CHILD),
        False,
        (R.PARENT_SUBJECT_ACCESS_ONLY,),
    ),
    # --- public and auditors: nothing personal -----------------------------------
    Case(
        "public sees nothing personal",
        Actor("anon", Role.PUBLIC),
        SAR,
        subject(),
        False,
        (R.PUBLIC_NO_PERSONAL_DATA,),
    ),
    Case(
        "public sees nothing even with consent",
        Actor("anon", Role.PUBLIC, purposes=frozenset(P)),
        P.RESEARCH_STATISTICS,
        subject(),
        False,
        (R.PUBLIC_NO_PERSONAL_DATA,),
    ),
    Case(
        "auditor sees no personal records",
        Actor("aud", Role.AUDITOR, purposes=frozenset(P)),
        DSD,
        subject(),
        False,
        (R.AUDITOR_NO_PERSONAL_DATA,),
    ),
    Case(
        "no categories: deny",
        staff(),
        DSD,
        subject(),
        False,
        (R.NO_DATA_CATEGORIES,),
        categories=frozenset(),
    ),
    # --- practitioners: purpose, source, consent, opt-out ------------------------
    Case(
        "practitioner with across-services consent",
        staff(),
        DSD,
        subject(),
        True,
        (R.CONSENT_SUFFICIENT,),
        (OB.AUDIT, OB.SHOW_DISPUTES),
    ),
    Case(
        "safeguarding lead with consent",
        staff(Role.SAFEGUARDING_LEAD),
        DSD,
        subject(),
        True,
        (R.CONSENT_SUFFICIENT,),
    ),
    Case(
        "practitioner not authorised for purpose",
        Actor(
            "staff-1", Role.PRACTITIONER, purposes=frozenset({P.FRAUD_DEBT}), sector=Sector.HEALTH
        ),
        DSD,
        subject(),
        False,
        (R.NOT_AUTHORISED_FOR_PURPOSE,),
    ),
    Case(
        "source did not agree to purpose",
        staff(),
        DSD,
        subject(),
        False,
        (R.SOURCE_PURPOSE_MISMATCH,),
        ctx=context(purposes=frozenset({CP})),
    ),
    Case(
        "within-service consent covers own service",
        staff(),
        DSD,
        subject(consents=consents_for_all(level=ConsentLevel.WITHIN_SERVICE)),
        True,
        ctx=context(sectors=ONE_SECTOR),
    ),
    Case(
        "within-service consent does not cover another service",
        staff(),
        DSD,
        subject(consents=consents_for_all(level=ConsentLevel.WITHIN_SERVICE)),
        False,
        (R.CONSENT_LEVEL_TOO_LOW,),
    ),
    Case(
        "another single service is across services",
        staff(),
        DSD,
        subject(consents=consents_for_all(level=ConsentLevel.WITHIN_SERVICE)),
        False,
        (R.CONSENT_LEVEL_TOO_LOW,),
        ctx=context(sectors=frozenset({Sector.POLICE})),
    ),
    Case(
        "unknown provenance counts as across services",
        staff(),
        DSD,
        subject(consents=consents_for_all(level=ConsentLevel.WITHIN_SERVICE)),
        False,
        (R.CONSENT_LEVEL_TOO_LOW,),
        ctx=context(sectors=frozenset()),
    ),
    Case(
        "no consent recorded",
        staff(),
        DSD,
        subject(consents=NO_CONSENT),
        False,
        (R.CONSENT_MISSING,),
    ),
    Case(
        "consent refused",
        staff(),
        DSD,
        subject(consents=consents_for_all(ConsentState.REFUSED)),
        False,
        (R.CONSENT_REFUSED,),
    ),
    Case(
        "consent withdrawn",
        staff(),
        DSD,
        subject(consents=consents_for_all(ConsentState.WITHDRAWN)),
        False,
        (R.CONSENT_WITHDRAWN,),
    ),
    Case(
        "consent renewed counts",
        staff(),
        DSD,
        subject(consents=consents_for_all(ConsentState.RENEWED)),
        True,
        (R.CONSENT_SUFFICIENT,),
    ),
    Case(
        "consent lapsed at expiry",
        staff(),
        DSD,
        subject(consents={DSD: grant(DSD, expires=NOW)}),
        False,
        (R.CONSENT_EXPIRED,),
    ),
    Case(
        "consent for another purpose does not count",
        staff(),
        DSD,
        subject(consents={P.EARLY_HELP_IDENTIFICATION: grant(P.EARLY_HELP_IDENTIFICATION)}),
        False,
        (R.CONSENT_MISSING,),
    ),
    Case(
        "opt-out of sharing blocks across services",
        staff(),
        DSD,
        subject(opted_out_of_sharing=True),
        False,
        (R.OPTED_OUT_OF_SHARING,),
    ),
    Case(
        "opt-out of sharing does not block own service",
        staff(),
        DSD,
        subject(opted_out_of_sharing=True),
        True,
        ctx=context(sectors=ONE_SECTOR),
    ),
    Case(
        "opt-out of linkage blocks across services",
        staff(),
        DSD,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE,),
    ),
    Case(
        "opt-out of linkage blocks early help even in one service",
        staff(),
        P.EARLY_HELP_IDENTIFICATION,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE,),
        ctx=context(sectors=ONE_SECTOR),
    ),
    Case(
        "early help never uses police data",
        staff(),
        P.EARLY_HELP_IDENTIFICATION,
        subject(),
        False,
        (R.CATEGORY_NOT_ALLOWED,),
        categories=frozenset({DataCategory.POLICE}),
    ),
    Case(
        "practitioner sees sensitive record for direct service",
        staff(),
        DSD,
        subject(**REFUGE),
        True,
        (R.CONSENT_SUFFICIENT,),
        (OB.KEEP_FROM_HOUSEHOLD,),
    ),
    Case(
        "sensitive record never for early help",
        staff(),
        P.EARLY_HELP_IDENTIFICATION,
        subject(**REFUGE),
        False,
        (R.SAFEGUARDING_SENSITIVE,),
    ),
    Case(
        "practitioner cannot do research",
        staff(),
        P.RESEARCH_STATISTICS,
        subject(),
        False,
        (R.ROLE_NOT_ALLOWED_FOR_PURPOSE,),
    ),
    Case(
        "practitioner cannot run linkage",
        staff(),
        P.RECORD_LINKAGE,
        subject(),
        False,
        (R.ROLE_NOT_ALLOWED_FOR_PURPOSE,),
        categories=IDENTITY,
    ),
    Case(
        "fraud check within own service",
        staff(sector=Sector.WELFARE),
        P.FRAUD_DEBT,
        subject(consents=NO_CONSENT),
        True,
        (R.NO_CONSENT_NEEDED,),
        categories=frozenset({DataCategory.WELFARE}),
        ctx=context(sectors=frozenset({Sector.WELFARE})),
    ),
    Case(
        "fraud check never across services",
        staff(sector=Sector.WELFARE),
        P.FRAUD_DEBT,
        subject(),
        False,
        (R.ACROSS_SERVICES_NOT_ALLOWED,),
        categories=frozenset({DataCategory.WELFARE}),
    ),
    Case(
        "fraud check never sees health",
        staff(sector=Sector.HEALTH),
        P.FRAUD_DEBT,
        subject(),
        False,
        (R.CATEGORY_NOT_ALLOWED,),
        ctx=context(sectors=ONE_SECTOR),
    ),
    # --- child protection and break-glass ----------------------------------------
    Case(
        "child protection with consent needs no break-glass",
        staff(),
        CP,
        subject(),
        True,
        (R.CONSENT_SUFFICIENT,),
        (OB.AUDIT, OB.SHOW_DISPUTES),
    ),
    Case(
        "child protection without consent and no break-glass",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.CONSENT_MISSING, R.BREAK_GLASS_REQUIRED),
    ),
    Case(
        "child protection over opt-out with valid break-glass",
        staff(),
        CP,
        subject(opted_out_of_sharing=True),
        True,
        (R.OPTED_OUT_OF_SHARING, R.BREAK_GLASS_ACCEPTED),
        (OB.AUDIT, OB.INDEPENDENT_REVIEW_BY, OB.NOTIFY_SUBJECT, OB.SHOW_DISPUTES),
        ctx=context(break_glass=glass()),
    ),
    Case(
        "child protection over refusal with valid break-glass",
        staff(Role.SAFEGUARDING_LEAD),
        CP,
        subject(consents=consents_for_all(ConsentState.REFUSED)),
        True,
        (R.BREAK_GLASS_ACCEPTED,),
        ctx=context(break_glass=glass()),
    ),
    Case(
        "break-glass: authoriser is the practitioner",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_SAME_PERSON,),
        ctx=context(break_glass=glass(authoriser_id="staff-1")),
    ),
    Case(
        "break-glass: authoriser is the practitioner, padded",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_SAME_PERSON,),
        ctx=context(break_glass=glass(authoriser_id=" staff-1 ")),
    ),
    Case(
        "break-glass: authority expired",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_AUTHORITY_EXPIRED,),
        ctx=context(break_glass=glass(authoriser_valid_until=NOW)),
    ),
    Case(
        "break-glass: no justification",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_JUSTIFICATION_MISSING,),
        ctx=context(break_glass=glass(justification="   ")),
    ),
    Case(
        "break-glass: justification too short",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_JUSTIFICATION_TOO_SHORT,),
        ctx=context(break_glass=glass(justification="urgent")),
    ),
    Case(
        "break-glass: no authoriser",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_NO_AUTHORISER,),
        ctx=context(break_glass=glass(authoriser_id="")),
    ),
    Case(
        "break-glass: someone else's record",
        staff(actor_id="staff-2"),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.BREAK_GLASS_NOT_YOURS,),
        ctx=context(break_glass=glass()),
    ),
    Case(
        "break-glass only for child protection",
        staff(),
        DSD,
        subject(opted_out_of_sharing=True),
        False,
        (R.OPTED_OUT_OF_SHARING, R.BREAK_GLASS_ONLY_FOR_CHILD_PROTECTION),
        ctx=context(break_glass=glass()),
    ),
    Case(
        "break-glass never overrides source agreement",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        False,
        (R.SOURCE_PURPOSE_MISMATCH,),
        ctx=context(purposes=frozenset({DSD}), break_glass=glass()),
    ),
    Case(
        "break-glass never lets a parent in",
        parent(FATHER),
        CP,
        subject(CHILD, relation=FATHERS_CHILD, **REFUGE),
        False,
        (R.PARENT_SUBJECT_ACCESS_ONLY, R.SAFEGUARDING_SENSITIVE),
        ctx=context(break_glass=glass(practitioner_id="account-person-father")),
    ),
    Case(
        "break-glass with valid withholding",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        True,
        (R.BREAK_GLASS_ACCEPTED, R.NOTIFICATION_WITHHELD),
        (OB.WITHHOLD_NOTIFICATION_UNTIL, OB.INDEPENDENT_REVIEW_BY),
        ctx=context(break_glass=glass(), withholding=withholding()),
    ),
    Case(
        "withholding expired: parent is told",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        True,
        (R.WITHHOLDING_NOT_VALID,),
        (OB.NOTIFY_SUBJECT,),
        ctx=context(break_glass=glass(), withholding=withholding(until=NOW - timedelta(seconds=1))),
    ),
    Case(
        "withholding longer than 28 days: parent is told",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        True,
        (R.WITHHOLDING_NOT_VALID,),
        (OB.NOTIFY_SUBJECT,),
        ctx=context(break_glass=glass(), withholding=withholding(until=NOW + timedelta(days=28))),
    ),
    Case(
        "withholding not by a safeguarding lead: parent is told",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        True,
        (R.WITHHOLDING_NOT_VALID,),
        (OB.NOTIFY_SUBJECT,),
        ctx=context(
            break_glass=glass(), withholding=withholding(decided_by_role=Role.PRACTITIONER)
        ),
    ),
    Case(
        "withholding by the practitioner themselves: parent is told",
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        True,
        (R.WITHHOLDING_NOT_VALID,),
        (OB.NOTIFY_SUBJECT,),
        ctx=context(break_glass=glass(), withholding=withholding(decided_by_id="staff-1")),
    ),
    # --- data team, DPO, system ---------------------------------------------------
    Case(
        "data team links identifiers with consent",
        staff(Role.DATA_TEAM),
        P.RECORD_LINKAGE,
        subject(),
        True,
        (R.CONSENT_SUFFICIENT,),
        categories=IDENTITY,
    ),
    Case(
        "system linkage run with consent",
        LINKER,
        P.RECORD_LINKAGE,
        subject(),
        True,
        categories=IDENTITY,
    ),
    Case(
        "linkage honours linkage opt-out",
        staff(Role.DATA_TEAM),
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE,),
        categories=IDENTITY,
    ),
    Case(
        "linkage needs linkage consent",
        staff(Role.DATA_TEAM),
        P.RECORD_LINKAGE,
        subject(consents=NO_CONSENT),
        False,
        (R.CONSENT_MISSING,),
        categories=IDENTITY,
    ),
    Case(
        "linkage lets an opted-out person in under a valid break-glass",
        LINKER,
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True, consents=NO_CONSENT),
        True,
        (R.OPTED_OUT_OF_LINKAGE, R.BREAK_GLASS_ACCEPTED),
        (OB.INDEPENDENT_REVIEW_BY, OB.NOTIFY_SUBJECT),
        categories=IDENTITY,
        ctx=context(break_glass=glass()),
    ),
    Case(
        "linkage: break-glass whose authoriser's authority ran out",
        LINKER,
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE, R.BREAK_GLASS_AUTHORITY_EXPIRED),
        categories=IDENTITY,
        ctx=context(break_glass=glass(authoriser_valid_until=NOW - timedelta(minutes=1))),
    ),
    Case(
        "linkage: break-glass justification too short",
        LINKER,
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE, R.BREAK_GLASS_JUSTIFICATION_TOO_SHORT),
        categories=IDENTITY,
        ctx=context(break_glass=glass(justification="urgent")),
    ),
    Case(
        "linkage: practitioner authorised their own break-glass",
        LINKER,
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE, R.BREAK_GLASS_SAME_PERSON),
        categories=IDENTITY,
        ctx=context(break_glass=glass(authoriser_id=" staff-1 ")),
    ),
    Case(
        "linkage: break-glass never overrides a source that did not agree to linkage",
        LINKER,
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.SOURCE_PURPOSE_MISMATCH,),
        categories=IDENTITY,
        ctx=context(purposes=frozenset({DSD}), break_glass=glass()),
    ),
    Case(
        "linkage: a person on the data team uses only their own break-glass",
        staff(Role.DATA_TEAM, actor_id="staff-2"),
        P.RECORD_LINKAGE,
        subject(opted_out_of_linkage=True),
        False,
        (R.BREAK_GLASS_NOT_YOURS,),
        categories=IDENTITY,
        ctx=context(break_glass=glass()),
    ),
    Case(
        "linkage never reads health records",
        staff(Role.DATA_TEAM),
        P.RECORD_LINKAGE,
        subject(),
        False,
        (R.CATEGORY_NOT_ALLOWED,),
    ),
    Case(
        "DPO handles subject access including sensitive (to redact)",
        staff(Role.DPO),
        SAR,
        subject(consents=NO_CONSENT, **REFUGE),
        True,
        (R.NO_CONSENT_NEEDED,),
        (OB.KEEP_FROM_HOUSEHOLD,),
    ),
    Case(
        "data team handles subject access despite opt-outs",
        staff(Role.DATA_TEAM),
        SAR,
        subject(opted_out_of_sharing=True, opted_out_of_linkage=True, consents=NO_CONSENT),
        True,
        ctx=context(purposes=frozenset()),
    ),
    Case(
        "research on pseudonymised data with consent",
        staff(Role.DATA_TEAM),
        P.RESEARCH_STATISTICS,
        subject(),
        True,
        (R.CONSENT_SUFFICIENT,),
        (OB.PSEUDONYMISE,),
    ),
    Case(
        "research without research consent",
        staff(Role.DATA_TEAM),
        P.RESEARCH_STATISTICS,
        subject(consents={DSD: grant(DSD)}),
        False,
        (R.CONSENT_MISSING,),
    ),
    Case(
        "research never sees identity",
        staff(Role.DATA_TEAM),
        P.RESEARCH_STATISTICS,
        subject(),
        False,
        (R.CATEGORY_NOT_ALLOWED,),
        categories=IDENTITY,
    ),
    Case(
        "planning totals without consent but honouring opt-out",
        staff(Role.DATA_TEAM),
        P.SERVICE_PLANNING,
        subject(consents=NO_CONSENT),
        True,
        (R.NO_CONSENT_NEEDED,),
        (OB.AGGREGATE_ONLY, OB.PSEUDONYMISE),
    ),
    Case(
        "planning excludes opted-out people",
        staff(Role.DATA_TEAM),
        P.SERVICE_PLANNING,
        subject(opted_out_of_linkage=True),
        False,
        (R.OPTED_OUT_OF_LINKAGE,),
    ),
    Case(
        "DPO does not do research",
        staff(Role.DPO),
        P.RESEARCH_STATISTICS,
        subject(),
        False,
        (R.ROLE_NOT_ALLOWED_FOR_PURPOSE,),
    ),
    Case(
        "data team does not do direct service",
        staff(Role.DATA_TEAM),
        DSD,
        subject(),
        False,
        (R.ROLE_NOT_ALLOWED_FOR_PURPOSE,),
    ),
    Case(
        "system does nothing but linkage",
        Actor("linker", Role.SYSTEM, purposes=frozenset(P)),
        DSD,
        subject(),
        False,
        (R.ROLE_NOT_ALLOWED_FOR_PURPOSE,),
    ),
]



def _consent_model_cases() -> list[Case]:
    """Record linkage across services under each consent model the council can choose, for each thing
    a person can have said, with and without a child-protection break-glass."""
    said = {
        "said yes": {"consents": {P.RECORD_LINKAGE: grant(P.RECORD_LINKAGE)}},
        "said no": {"consents": {P.RECORD_LINKAGE: grant(P.RECORD_LINKAGE, ConsentState.REFUSED)}},
        "no answer": {"consents": NO_CONSENT},
        "opted out": {"consents": {P.RECORD_LINKAGE: grant(P.RECORD_LINKAGE)}, "opted_out_of_linkage": True},
    }
    refused = {"said no": R.CONSENT_REFUSED, "no answer": R.CONSENT_MISSING, "opted out": R.OPTED_OUT_OF_LINKAGE}
    cases = []
    for model in ConsentModel:
        basis = ConsentBasis(model, "Children Act 1989 s.17" if model is ConsentModel.STATUTORY else "")
        for answer, facts in said.items():
            for with_glass in (False, True):
                ctx = replace(context(break_glass=glass() if with_glass else None), consent_basis=basis)
                blocked = (model is ConsentModel.CONSENT and answer != "said yes") or (
                    model is ConsentModel.OPT_OUT and answer in ("said no", "opted out"))
                if not blocked:
                    codes = {ConsentModel.CONSENT: R.CONSENT_SUFFICIENT, ConsentModel.OPT_OUT: R.NO_CONSENT_NEEDED,
                             ConsentModel.STATUTORY: R.STATUTORY_DUTY}[model]
                    allow, expected = True, (codes,)
                elif with_glass:
                    allow, expected = True, (refused[answer], R.BREAK_GLASS_ACCEPTED)
                else:
                    allow, expected = False, (refused[answer], R.BREAK_GLASS_REQUIRED)
                cases.append(Case(f"linkage across services, {model.value}: {answer}"
                                  + (", break-glass" if with_glass else ""),
                                  LINKER, P.RECORD_LINKAGE, subject(**facts), allow, expected,  # type: ignore[arg-type]
                                  categories=IDENTITY, ctx=ctx))
    within = replace(context(sectors=ONE_SECTOR), consent_basis=ConsentBasis(ConsentModel.CONSENT))
    cases += [
        Case("linkage within one service needs no consent", LINKER, P.RECORD_LINKAGE,
             subject(consents=NO_CONSENT), True, (R.WITHIN_ONE_SERVICE,), categories=IDENTITY, ctx=within),
        Case("linkage within one service, even after a no", LINKER, P.RECORD_LINKAGE,
             subject(**said["said no"]), True, (R.WITHIN_ONE_SERVICE,), categories=IDENTITY, ctx=within),  # type: ignore[arg-type]
        Case("an opt-out of linkage stands within one service too", LINKER, P.RECORD_LINKAGE,
             subject(opted_out_of_linkage=True), False, (R.OPTED_OUT_OF_LINKAGE,), categories=IDENTITY, ctx=within),
        Case("direct service under opt_out: no answer is no objection", staff(), DSD, subject(consents=NO_CONSENT),
             True, (R.NO_CONSENT_NEEDED,),
             ctx=replace(context(), consent_basis=ConsentBasis(ConsentModel.OPT_OUT))),
        Case("direct service under consent: within one service, the yes must cover it", staff(), DSD,
             subject(consents=NO_CONSENT), False, (R.CONSENT_MISSING,),
             ctx=replace(context(sectors=ONE_SECTOR), consent_basis=ConsentBasis(ConsentModel.CONSENT))),
    ]
    return cases


CASES += _consent_model_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access_matrix(case: Case) -> None:
    decision = decide(case.actor, case.purpose, case.subject, case.categories, case.ctx)
    assert decision.allow is case.allow, decision.codes
    assert set(case.codes) <= set(decision.codes), decision.codes
    kinds = {o.kind for o in decision.obligations}
    assert set(case.obligations) <= kinds, kinds
    assert ObligationKind.AUDIT in kinds  # every decision is logged (invariant 1)
    assert decision.reasons and all(
        isinstance(r, str) and r.endswith(".") for r in decision.reasons
    )


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def test_break_glass_obligations_carry_dates() -> None:
    decision = decide(
        staff(), CP, subject(consents=NO_CONSENT), HEALTH, context(break_glass=glass())
    )
    assert decision.due(ObligationKind.INDEPENDENT_REVIEW_BY) == REVIEW_BY
    assert "independent_review_by:" + REVIEW_BY.isoformat() in {
        str(o) for o in decision.obligations
    }
    earlier = glass(review_due=REVIEW_BY - timedelta(days=5))
    decision = decide(
        staff(), CP, subject(consents=NO_CONSENT), HEALTH, context(break_glass=earlier)
    )
    assert decision.due(ObligationKind.INDEPENDENT_REVIEW_BY) == REVIEW_BY - timedelta(days=5)
    held = withholding()
    decision = decide(
        staff(),
        CP,
        subject(consents=NO_CONSENT),
        HEALTH,
        context(break_glass=glass(), withholding=held),
    )
    assert decision.due(ObligationKind.WITHHOLD_NOTIFICATION_UNTIL) == held.until.date()
    assert not decision.has(ObligationKind.NOTIFY_SUBJECT)


@pytest.mark.parametrize("case", [c for c in CASES if R.BREAK_GLASS_ACCEPTED in
                                  decide(c.actor, c.purpose, c.subject, c.categories, c.ctx).codes],
                         ids=lambda c: c.id)
def test_telling_the_family_after_a_break_glass_is_what_decide_obliges(case: Case) -> None:
    """``break_glass_notice`` (asked when an authorisation is made, and when a withholding ends) agrees with decide()."""
    decision = decide(case.actor, case.purpose, case.subject, case.categories, case.ctx)
    notice = break_glass_notice(case.actor, case.ctx)
    assert notice in decision.obligations
    assert (notice.kind is ObligationKind.NOTIFY_SUBJECT) is decision.has(ObligationKind.NOTIFY_SUBJECT)


def test_denials_list_every_reason_not_just_the_first() -> None:
    bad = glass(
        authoriser_id="staff-1", justification="x", authoriser_valid_until=NOW - timedelta(days=1)
    )
    decision = decide(
        staff(),
        CP,
        subject(opted_out_of_sharing=True, consents=NO_CONSENT),
        HEALTH,
        context(break_glass=bad),
    )
    assert not decision.allow
    assert {
        R.OPTED_OUT_OF_SHARING,
        R.CONSENT_MISSING,
        R.BREAK_GLASS_SAME_PERSON,
        R.BREAK_GLASS_JUSTIFICATION_TOO_SHORT,
        R.BREAK_GLASS_AUTHORITY_EXPIRED,
    } <= set(decision.codes)


def test_naive_time_is_a_programming_error() -> None:
    from famlink.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="time-zone-aware"):
        decide(staff(), DSD, subject(), HEALTH, Context(now=NOW.replace(tzinfo=None)))
