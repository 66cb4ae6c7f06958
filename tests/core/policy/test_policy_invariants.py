"""Every combination of role x relation x purpose x sensitivity x consent x opt-out
x break-glass, checked against the rules that must never bend."""

from __future__ import annotations

import itertools

from famlink.core.consent.states import ACTIVE_STATES, ConsentState
from famlink.core.policy import (
    PURPOSE_RULES,
    Actor,
    ObligationKind,
    ReasonCode,
    Relation,
    Role,
    Subject,
    decide,
)
from famlink.core.taxonomy import DataCategory, Purpose

from .scenarios import ALL_PURPOSES, FATHER, MOTHER, context, glass, grant

OB = ObligationKind
SENSITIVITY = {
    "none": {},
    "protects someone else": {
        "safeguarding_sensitive": True,
        "sensitive_protects": frozenset({MOTHER}),
    },
    "protects the asker": {
        "safeguarding_sensitive": True,
        "sensitive_protects": frozenset({FATHER}),
    },
}
OPT_OUTS = [(False, False), (True, False), (False, True), (True, True)]
GLASS = {"none": None, "valid": glass(), "same person": glass(authoriser_id="staff-1")}
CONSENT = [None, *ConsentState]


def _actor(role: Role) -> Actor:
    if role is Role.PARENT:
        return Actor(id="staff-1", role=role, person_id=FATHER)
    return Actor(id="staff-1", role=role, purposes=ALL_PURPOSES)


def _subject_id(relation: Relation) -> str:
    return FATHER if relation is Relation.OWN else "person-other"


def test_no_combination_breaks_the_invariants() -> None:
    checked = 0
    for role, relation, purpose, sens, state, (no_share, no_link), glass_name in itertools.product(
        Role, Relation, Purpose, SENSITIVITY, CONSENT, OPT_OUTS, GLASS
    ):
        consents = {} if state is None else {purpose: grant(purpose, state)}
        subject = Subject(
            person_id=_subject_id(relation),
            is_adult=relation in (Relation.OWN, Relation.OTHER_ADULT_IN_HOUSEHOLD),
            relation=relation,
            opted_out_of_sharing=no_share,
            opted_out_of_linkage=no_link,
            consents=consents,
            **SENSITIVITY[sens],
        )
        ctx = context(break_glass=GLASS[glass_name])
        d = decide(_actor(role), purpose, subject, {DataCategory.HEALTH}, ctx)
        codes = set(d.codes)
        kinds = {o.kind for o in d.obligations}
        where = (role, relation, purpose, sens, state, no_share, no_link, glass_name, d.codes)
        checked += 1

        assert OB.AUDIT in kinds, where
        assert d.codes, where
        if role in (Role.PUBLIC, Role.AUDITOR):
            assert not d.allow, where
        if d.allow and role is Role.PARENT:
            assert purpose is Purpose.SUBJECT_ACCESS, where
            assert relation in (Relation.OWN, Relation.CHILD_UNDER_PR), where
            assert sens != "protects someone else", where
        if role is Role.PARENT and relation is Relation.OTHER_ADULT_IN_HOUSEHOLD:
            assert not d.allow and ReasonCode.OTHER_ADULTS_RECORD in codes, where
        if d.allow and ReasonCode.BREAK_GLASS_ACCEPTED in codes:
            # child protection itself, and letting an opted-out child's records into linkage for it
            assert purpose in (Purpose.SAFEGUARDING_CHILD_PROTECTION, Purpose.RECORD_LINKAGE), where
            assert glass_name == "valid", where
            assert OB.INDEPENDENT_REVIEW_BY in kinds, where
            assert (OB.NOTIFY_SUBJECT in kinds) != (OB.WITHHOLD_NOTIFICATION_UNTIL in kinds), where
        if glass_name == "same person":
            assert ReasonCode.BREAK_GLASS_ACCEPTED not in codes, where
        if d.allow and role is not Role.PARENT:
            rule = PURPOSE_RULES[purpose]
            if rule.consent_needed and ReasonCode.BREAK_GLASS_ACCEPTED not in codes:
                assert state in ACTIVE_STATES, where
            if rule.opt_outs_apply and (no_share or no_link):
                assert ReasonCode.BREAK_GLASS_ACCEPTED in codes, where
            if sens != "none":
                assert OB.KEEP_FROM_HOUSEHOLD in kinds, where
        if d.allow and purpose is Purpose.RESEARCH_STATISTICS:
            assert OB.PSEUDONYMISE in kinds, where
    assert checked == len(Role) * 4 * 8 * 3 * 6 * 4 * 3


def test_household_rule_for_one_family() -> None:
    """Mother, father, their child: who sees whose records (invariant 6)."""
    father = Actor(id="acc-f", role=Role.PARENT, person_id=FATHER)
    mother = Actor(id="acc-m", role=Role.PARENT, person_id=MOTHER)
    child = "person-child"

    def sees(actor: Actor, person: str, relation: Relation, **flags: object) -> bool:
        subject = Subject(person, is_adult=person != child, relation=relation, **flags)  # type: ignore[arg-type]
        return decide(
            actor, Purpose.SUBJECT_ACCESS, subject, {DataCategory.CONTACT}, context()
        ).allow

    refuge = {"safeguarding_sensitive": True, "sensitive_protects": frozenset({MOTHER})}
    assert sees(father, FATHER, Relation.OWN)
    assert sees(father, child, Relation.CHILD_UNDER_PR)
    assert not sees(father, MOTHER, Relation.OTHER_ADULT_IN_HOUSEHOLD)
    assert not sees(father, child, Relation.CHILD_UNDER_PR, **refuge)
    assert not sees(father, MOTHER, Relation.OTHER_ADULT_IN_HOUSEHOLD, **refuge)
    assert sees(mother, child, Relation.CHILD_UNDER_PR, **refuge)
    assert sees(mother, MOTHER, Relation.OWN, **refuge)
    assert not sees(mother, FATHER, Relation.OTHER_ADULT_IN_HOUSEHOLD)
