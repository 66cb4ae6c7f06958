"""Small builders for policy tests: one place that says what "normal" looks like."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from famlink.core.consent.states import ConsentGrant, ConsentLevel, ConsentState
from famlink.core.policy import (
    Actor,
    BreakGlass,
    Context,
    NotificationWithholding,
    Relation,
    Role,
    Subject,
)
from famlink.core.taxonomy import Purpose, Sector

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ALL_PURPOSES = frozenset(Purpose)

MOTHER = "person-mother"
FATHER = "person-father"
CHILD = "person-child"


def staff(
    role: Role = Role.PRACTITIONER, *, sector: Sector = Sector.HEALTH, actor_id: str = "staff-1"
) -> Actor:
    return Actor(
        id=actor_id,
        role=role,
        organisation="Exampleshire NHS Trust",
        purposes=ALL_PURPOSES,
        sector=sector,
    )


def parent(person_id: str = FATHER) -> Actor:
    return Actor(id=f"account-{person_id}", role=Role.PARENT, person_id=person_id)


def grant(
    purpose: Purpose,
    state: ConsentState = ConsentState.GIVEN,
    level: ConsentLevel = ConsentLevel.ACROSS_SERVICES,
    *,
    expires: datetime | None = None,
) -> ConsentGrant:
    return ConsentGrant(
        purpose=purpose,
        level=level,
        state=state,
        recorded_at=NOW - timedelta(days=30),
        expires_at=expires or NOW + timedelta(days=300),
    )


def consents_for_all(
    state: ConsentState = ConsentState.GIVEN, level: ConsentLevel = ConsentLevel.ACROSS_SERVICES
) -> dict[Purpose, ConsentGrant]:
    return {p: grant(p, state, level) for p in Purpose}


def subject(
    person_id: str = CHILD,
    *,
    adult: bool = False,
    relation: Relation = Relation.UNRELATED,
    consents: dict[Purpose, ConsentGrant] | None = None,
    **flags: object,
) -> Subject:
    return Subject(
        person_id=person_id,
        is_adult=adult,
        relation=relation,
        consents=consents_for_all() if consents is None else consents,
        **flags,  # type: ignore[arg-type]
    )


def context(
    *,
    sectors: frozenset[Sector] = frozenset({Sector.HEALTH, Sector.EDUCATION}),
    purposes: frozenset[Purpose] = ALL_PURPOSES,
    break_glass: BreakGlass | None = None,
    withholding: NotificationWithholding | None = None,
) -> Context:
    return Context(
        now=NOW,
        source_sectors=sectors,
        source_purposes=purposes,
        break_glass=break_glass,
        withholding=withholding,
    )


def glass(**changes: object) -> BreakGlass:
    values: dict[str, object] = {
        "justification": "Child disclosed injuries at school; parent unreachable and refused sharing.",
        "practitioner_id": "staff-1",
        "authoriser_id": "lead-9",
        "authoriser_valid_until": NOW + timedelta(days=90),
        "granted_at": NOW - timedelta(hours=1),
        "review_due": None,
    }
    values.update(changes)
    return BreakGlass(**values)  # type: ignore[arg-type]


def withholding(**changes: object) -> NotificationWithholding:
    values: dict[str, object] = {
        "decided_by_id": "lead-9",
        "decided_by_role": Role.SAFEGUARDING_LEAD,
        "reason": "Telling the father now would put the child at risk before the strategy meeting.",
        "decided_at": NOW - timedelta(days=1),
        "until": NOW + timedelta(days=20),
    }
    values.update(changes)
    return NotificationWithholding(**values)  # type: ignore[arg-type]


TODAY = NOW.date()
REVIEW_BY = (NOW - timedelta(hours=1)).date() + timedelta(days=14)
assert isinstance(TODAY, date)
