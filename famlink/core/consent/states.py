"""What a person has said about one purpose, and whether it still counts.

Levels are ordered (a lattice that is a chain): each level allows everything
the one below it does. Research/statistics is NOT a level: it is a separate
purpose with its own consent, because a parent may be content to have their
records linked to run a service yet refuse research, or the reverse.
See docs/governance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from famlink.core.taxonomy import Purpose

DEFAULT_VALIDITY = timedelta(days=365)  # renewed yearly: policy brief recommendation 1
MAX_VALIDITY = timedelta(days=366)  # a year, allowing for a leap day
SELF_CONSENT_AGE = 16  # see docs/governance.md for why 16 and not 13


class ConsentLevel(StrEnum):
    """How far linking may go for one purpose; compare with ``rank``."""

    NO_LINKING = "no_linking"
    WITHIN_SERVICE = "within_service"
    ACROSS_SERVICES = "across_services"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    def covers(self, needed: ConsentLevel) -> bool:
        return self.rank >= needed.rank


_LEVEL_RANK = {
    ConsentLevel.NO_LINKING: 0,
    ConsentLevel.WITHIN_SERVICE: 1,
    ConsentLevel.ACROSS_SERVICES: 2,
}


class ConsentState(StrEnum):
    """After W3C DPV consent status: only GIVEN and RENEWED permit anything."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    RENEWED = "renewed"

    @property
    def dpv(self) -> str:
        return _DPV_STATE[self]


_DPV_STATE = {
    ConsentState.GIVEN: "dpv:ConsentGiven",
    ConsentState.REFUSED: "dpv:ConsentRefused",
    ConsentState.WITHDRAWN: "dpv:ConsentWithdrawn",
    ConsentState.EXPIRED: "dpv:ConsentExpired",
    ConsentState.RENEWED: "dpv:RenewedConsentGiven",
}

ACTIVE_STATES = frozenset({ConsentState.GIVEN, ConsentState.RENEWED})


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    """The current consent of one person for one purpose, as stored.

    ``expires_at`` is required for given/renewed consent: nothing is
    forever (brief recommendation 1: renewed at regular intervals).
    """

    purpose: Purpose
    level: ConsentLevel
    state: ConsentState
    recorded_at: datetime
    expires_at: datetime | None = None
    version: int = 1

    def effective_state(self, now: datetime) -> ConsentState:
        """The state as it stands at ``now``: a lapsed consent reads as expired."""
        if self.state in ACTIVE_STATES and (self.expires_at is None or now >= self.expires_at):
            return ConsentState.EXPIRED
        return self.state

    def permits(self, needed: ConsentLevel, now: datetime) -> bool:
        return self.effective_state(now) in ACTIVE_STATES and self.level.covers(needed)
