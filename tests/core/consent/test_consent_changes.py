from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from famlink.core.consent import (
    DEFAULT_VALIDITY,
    ConsentAction,
    ConsentChange,
    ConsentGrant,
    ConsentLevel,
    ConsentState,
    actions_offered,
    apply_change,
    decides_alone,
)
from famlink.core.errors import InvalidInput
from famlink.core.people import ADULT_AGE
from famlink.core.policy import Relation
from famlink.core.taxonomy import Purpose

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DSD = Purpose.DIRECT_SERVICE_DELIVERY


def change(action: ConsentAction | str = ConsentAction.GIVE, **overrides: object) -> ConsentChange:
    values: dict[str, object] = {
        "subject_id": "person-child",
        "purpose": DSD,
        "action": action,
        "decided_by_id": "person-mother",
        "decided_by": Relation.CHILD_UNDER_PR,
        "subject_age": 9,
        "at": AT,
        "level": ConsentLevel.ACROSS_SERVICES,
    }
    values.update(overrides)
    return ConsentChange(**values)  # type: ignore[arg-type]


def current(state: ConsentState, *, expires: datetime | None = None) -> ConsentGrant:
    return ConsentGrant(
        purpose=DSD,
        level=ConsentLevel.WITHIN_SERVICE,
        state=state,
        recorded_at=AT - timedelta(days=100),
        expires_at=expires or AT + timedelta(days=100),
        version=3,
    )


def test_giving_consent_defaults_to_twelve_months() -> None:
    grant = apply_change(None, change())
    assert grant.state is ConsentState.GIVEN
    assert grant.expires_at == AT + DEFAULT_VALIDITY
    assert grant.version == 1 and grant.level is ConsentLevel.ACROSS_SERVICES
    assert grant.effective_state(AT + DEFAULT_VALIDITY) is ConsentState.EXPIRED
    assert grant.effective_state(AT + DEFAULT_VALIDITY - timedelta(seconds=1)) is ConsentState.GIVEN


ALLOWED = [
    (None, ConsentAction.GIVE, ConsentState.GIVEN),
    (None, ConsentAction.REFUSE, ConsentState.REFUSED),
    (ConsentState.GIVEN, ConsentAction.WITHDRAW, ConsentState.WITHDRAWN),
    (ConsentState.GIVEN, ConsentAction.RENEW, ConsentState.RENEWED),
    (ConsentState.GIVEN, ConsentAction.GIVE, ConsentState.GIVEN),
    (ConsentState.RENEWED, ConsentAction.WITHDRAW, ConsentState.WITHDRAWN),
    (ConsentState.REFUSED, ConsentAction.GIVE, ConsentState.GIVEN),
    (ConsentState.WITHDRAWN, ConsentAction.GIVE, ConsentState.GIVEN),
    (ConsentState.WITHDRAWN, ConsentAction.REFUSE, ConsentState.REFUSED),
    ("lapsed", ConsentAction.RENEW, ConsentState.RENEWED),
    ("lapsed", ConsentAction.WITHDRAW, ConsentState.WITHDRAWN),
    ("lapsed", ConsentAction.REFUSE, ConsentState.REFUSED),
]


@pytest.mark.parametrize(("before", "action", "after"), ALLOWED)
def test_allowed_transitions(before: object, action: ConsentAction, after: ConsentState) -> None:
    if before == "lapsed":
        existing: ConsentGrant | None = current(ConsentState.GIVEN, expires=AT)
    else:
        existing = None if before is None else current(before)  # type: ignore[arg-type]
    grant = apply_change(existing, change(action))
    assert grant.state is after
    if existing is not None:
        assert grant.version == existing.version + 1
    if action is ConsentAction.RENEW:
        assert grant.level is ConsentLevel.WITHIN_SERVICE  # renewal keeps what was agreed
    if after not in (ConsentState.GIVEN, ConsentState.RENEWED):
        assert grant.expires_at is None


REFUSED = [
    (None, ConsentAction.WITHDRAW, "never given"),
    (None, ConsentAction.RENEW, "never given"),
    (ConsentState.REFUSED, ConsentAction.RENEW, "refused consent cannot be renewed"),
    (ConsentState.REFUSED, ConsentAction.WITHDRAW, "refused, never given"),
    (ConsentState.REFUSED, ConsentAction.REFUSE, "already been refused"),
    (ConsentState.WITHDRAWN, ConsentAction.WITHDRAW, "already been withdrawn"),
    (ConsentState.WITHDRAWN, ConsentAction.RENEW, "withdrawn consent cannot be renewed"),
    (ConsentState.GIVEN, ConsentAction.REFUSE, "withdraw it rather than refuse"),
]


@pytest.mark.parametrize(("before", "action", "message"), REFUSED)
def test_contradictory_changes_are_refused(
    before: ConsentState | None, action: ConsentAction, message: str
) -> None:
    existing = None if before is None else current(before)
    with pytest.raises(InvalidInput, match=message):
        apply_change(existing, change(action))


@pytest.mark.parametrize(
    ("overrides", "message", "where"),
    [
        ({"purpose": "marketing.newsletter"}, "unknown purpose 'marketing.newsletter'", "purpose"),
        ({"action": "maybe"}, "unknown action", "action"),
        ({"level": "everything"}, "unknown level", "level"),
        ({"level": ConsentLevel.NO_LINKING}, "refuse consent instead", "level"),
        (
            {"decided_by": Relation.OTHER_ADULT_IN_HOUSEHOLD},
            "parent for their own child",
            "decided_by",
        ),
        ({"decided_by": Relation.UNRELATED}, "parent for their own child", "decided_by"),
        ({"decided_by": "neighbour"}, "unknown decided_by", "decided_by"),
        ({"subject_age": 16}, "decides about their own consent", "decided_by"),
        ({"subject_age": 12, "gillick_competent": True}, "Gillick competent", "decided_by"),
        ({"subject_age": 19}, "ends at 18", "decided_by"),
        (
            {"decided_by": Relation.OWN, "subject_age": 12},
            "cannot record consent alone",
            "decided_by",
        ),
        ({"subject_age": -1}, "not a possible age", "subject_age"),
        ({"subject_age": "nine"}, "whole number", "subject_age"),
        ({"valid_until": AT - timedelta(days=1)}, "not after", "valid_until"),
        ({"valid_until": AT}, "not after", "valid_until"),
        ({"valid_until": AT + timedelta(days=400)}, "at most a year", "valid_until"),
        ({"valid_until": datetime(2026, 5, 1)}, "time zone", "valid_until"),
        ({"at": datetime(2026, 5, 1)}, "time zone", "at"),
        ({"subject_id": " "}, "whose consent", "subject_id"),
        ({"decided_by_id": ""}, "who made it", "decided_by_id"),
    ],
)
def test_malformed_changes_say_what_and_where(
    overrides: dict[str, object], message: str, where: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        apply_change(None, change(**overrides))
    assert caught.value.where == where


def test_withdrawal_has_no_expiry() -> None:
    with pytest.raises(InvalidInput, match="no expiry"):
        apply_change(
            current(ConsentState.GIVEN),
            change(ConsentAction.WITHDRAW, valid_until=AT + timedelta(days=1)),
        )


def test_young_people_decide_for_themselves() -> None:
    own = {"decided_by": Relation.OWN, "decided_by_id": "person-child"}
    assert apply_change(None, change(subject_age=16, **own)).state is ConsentState.GIVEN
    assert (
        apply_change(None, change(subject_age=13, gillick_competent=True, **own)).state
        is ConsentState.GIVEN
    )
    assert apply_change(None, change(subject_age=40, **own)).state is ConsentState.GIVEN


def test_change_for_a_different_purpose_is_refused() -> None:
    with pytest.raises(InvalidInput, match="about"):
        apply_change(current(ConsentState.GIVEN), change(purpose=Purpose.RESEARCH_STATISTICS))


TEXT = st.one_of(st.text(max_size=30), st.sampled_from([p.value for p in Purpose]))


@settings(max_examples=300, deadline=None)
@given(
    purpose=TEXT,
    action=st.one_of(st.text(max_size=10), st.sampled_from([a.value for a in ConsentAction])),
    level=st.one_of(st.text(max_size=10), st.sampled_from([lv.value for lv in ConsentLevel])),
    relation=st.one_of(st.text(max_size=10), st.sampled_from([r.value for r in Relation])),
    age=st.one_of(st.integers(-5, 200), st.booleans(), st.none()),
    days=st.one_of(st.none(), st.integers(-1000, 1000)),
    state=st.one_of(st.none(), st.sampled_from(list(ConsentState))),
)
def test_any_change_is_either_applied_or_refused_clearly(
    purpose: str,
    action: str,
    level: str,
    relation: str,
    age: object,
    days: int | None,
    state: ConsentState | None,
) -> None:
    """Malformed input never escapes as anything but InvalidInput with a message."""
    candidate = change(
        action,
        purpose=purpose,
        level=level,
        decided_by=relation,
        subject_age=age,
        valid_until=None if days is None else AT + timedelta(days=days),
    )
    existing = None if state is None else current(state)
    try:
        grant = apply_change(existing, candidate)
    except InvalidInput as error:
        assert error.message and error.where
        return
    assert grant.purpose.value == purpose
    assert grant.state in ConsentState
    if grant.expires_at is not None:
        assert AT < grant.expires_at <= AT + timedelta(days=366)


def _standing(state: ConsentState | None) -> ConsentGrant | None:
    """A stored consent that reads as ``state`` at ``AT`` (an expired one is a yes that ran out)."""
    if state is None:
        return None
    if state is ConsentState.EXPIRED:
        return current(ConsentState.GIVEN, expires=AT - timedelta(days=1))
    return current(state)


@pytest.mark.parametrize("state", [None, *ConsentState], ids=lambda s: str(s))
def test_every_action_offered_is_one_the_change_accepts(state: ConsentState | None) -> None:
    offered = actions_offered(state)
    assert offered, "a parent is always offered something"
    for action in offered:
        grant = apply_change(_standing(state), change(action))
        assert grant.state is not state or action in (ConsentAction.GIVE, ConsentAction.RENEW)


@pytest.mark.parametrize(("state", "offered"), [
    (None, (ConsentAction.GIVE, ConsentAction.REFUSE)),
    (ConsentState.GIVEN, (ConsentAction.RENEW, ConsentAction.GIVE, ConsentAction.WITHDRAW)),
    (ConsentState.EXPIRED, (ConsentAction.RENEW, ConsentAction.GIVE, ConsentAction.WITHDRAW)),
    (ConsentState.REFUSED, (ConsentAction.GIVE,)),
    (ConsentState.WITHDRAWN, (ConsentAction.GIVE, ConsentAction.REFUSE)),
])
def test_what_a_parent_is_offered_by_how_their_consent_stands(
    state: ConsentState | None, offered: tuple[ConsentAction, ...],
) -> None:
    assert actions_offered(state) == offered


@given(age=st.integers(min_value=0, max_value=130), gillick=st.booleans())
def test_who_decides_is_the_same_rule_the_change_enforces(age: int, gillick: bool) -> None:
    """A young person the portal says decides alone is exactly one a parent cannot decide for."""
    as_parent = change(subject_age=age, gillick_competent=gillick)
    try:
        as_parent.checked()
        parent_may = True
    except InvalidInput:
        parent_may = False
    assert parent_may == (not decides_alone(age, gillick) and age < ADULT_AGE)
