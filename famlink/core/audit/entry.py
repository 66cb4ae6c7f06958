"""One line of the audit log, and the exact bytes that get hashed.

A third party must be able to take an entry as published and get the same
leaf hash with their own code, so the serialisation is canonical JSON:
keys sorted, no whitespace, UTF-8 (not ASCII-escaped), integers as integers,
lists in a fixed order, times as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.
The entry's own index is inside the hashed bytes, so moving an entry to
another position changes its leaf hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from famlink.core.audit.merkle import leaf_hash
from famlink.core.errors import InvalidInput
from famlink.core.taxonomy import DataCategory, Purpose

FORMAT_VERSION = 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class AuditEvent(StrEnum):
    """What happened, as ``subject:verb`` so logs group by what was touched."""

    RECORD_VIEWED = "record:viewed"
    RECORD_EXPORTED = "record:exported"
    RECORD_CORRECTED = "record:corrected"
    RECORD_DISPUTED = "record:disputed"
    CONTEXT_ADDED = "record:context_added"
    CONSENT_GIVEN = "consent:given"
    CONSENT_REFUSED = "consent:refused"
    CONSENT_WITHDRAWN = "consent:withdrawn"
    CONSENT_RENEWED = "consent:renewed"
    CONSENT_EXPIRED = "consent:expired"
    OPT_OUT_SET = "opt_out:set"
    OPT_OUT_CLEARED = "opt_out:cleared"
    BREAK_GLASS_USED = "break_glass:used"
    BREAK_GLASS_REVIEWED = "break_glass:reviewed"
    BREAK_GLASS_REQUESTED = "break_glass:requested"
    BREAK_GLASS_REFUSED = "break_glass:refused"
    NOTIFICATION_WITHHELD = "notification:withheld"
    NOTIFICATION_SENT = "notification:sent"
    SHARING_DECIDED = "sharing:decided"
    LINKAGE_RUN = "linkage:run"
    LINK_VIEWED = "linkage:link_viewed"
    MODEL_SCORED = "model:scored"
    SUBJECT_ACCESS_FULFILLED = "rights:subject_access_fulfilled"
    RECTIFICATION_DECIDED = "rights:rectification_decided"
    DATA_DOWNLOADED = "rights:data_downloaded"
    FAMILY_OPENED = "family:opened"


#: Events that record a read and change nothing. Their entries may be made durable ahead of the
#: reading transaction (write-ahead, docs/audit.md §7): there is no change for them to commit with.
READ_EVENTS = frozenset({
    AuditEvent.RECORD_VIEWED, AuditEvent.RECORD_EXPORTED, AuditEvent.LINK_VIEWED, AuditEvent.DATA_DOWNLOADED,
})


class Verdict(StrEnum):
    """The policy decision that was recorded: denials are logged too (invariant 1)."""

    ALLOW = "allow"
    DENY = "deny"


def utc_timestamp(moment: datetime | str) -> str:
    """Normalise a moment to the one text form used in hashed bytes."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            raise InvalidInput(f"'{moment}' is not an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"the time {moment.isoformat()} has no time zone; audit times must be UTC"
        )
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: reproducible by any JSON library."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@dataclass(frozen=True, slots=True)
class AuditFacts:
    """What one entry says: who did what to whose data, why, and what the policy decided.

    Whoever logs an access writes these; the log adds when (at append) and
    where (the index, once placed): an ``AuditEntry`` is these facts placed.
    ``purpose`` and ``subject_id`` are optional because some events (a
    linkage run, a public-key rotation) are not about one person. The values
    are checked and normalised when they become an entry.
    """

    actor_id: str
    actor_role: str
    organisation: str
    purpose: Purpose | None
    subject_id: str | None
    data_categories: tuple[DataCategory, ...]
    action: AuditEvent
    decision: Verdict
    reasons: tuple[str, ...] = ()
    justification: str = ""

    def entry(self, *, index: int, occurred_at: str) -> AuditEntry:
        """These facts as the entry at ``index``, logged at ``occurred_at``."""
        facts = {name: getattr(self, name) for name in AuditFacts.__dataclass_fields__}
        return AuditEntry(index=index, occurred_at=occurred_at, **facts)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(AuditFacts):
    """One line of the log: the facts, with their place (``index``) and time.

    ``data_categories`` is stored sorted and de-duplicated so that the same
    facts always give the same bytes.
    """

    index: int
    occurred_at: str
    version: int = field(default=FORMAT_VERSION)

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise InvalidInput(f"audit entry index must be a whole number >= 0, not {self.index!r}")
        if not self.actor_id:
            raise InvalidInput("an audit entry must name the actor", where=f"entry {self.index}")
        if self.version != FORMAT_VERSION:
            raise InvalidInput(
                f"audit entry format version {self.version} is not supported (expected {FORMAT_VERSION})",
                where=f"entry {self.index}",
            )
        where = f"entry {self.index}"
        try:
            purpose = None if self.purpose is None else Purpose(self.purpose)
            categories = tuple(sorted({DataCategory(c) for c in self.data_categories}))
            action = AuditEvent(self.action)
            decision = Verdict(self.decision)
        except ValueError as error:
            raise InvalidInput(f"unknown value in audit entry: {error}", where=where) from None
        set_ = object.__setattr__
        set_(self, "purpose", purpose)
        set_(self, "data_categories", categories)
        set_(self, "action", action)
        set_(self, "decision", decision)
        set_(self, "reasons", tuple(str(r) for r in self.reasons))
        set_(self, "actor_role", str(self.actor_role))
        set_(self, "occurred_at", utc_timestamp(self.occurred_at))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: enums as their values, tuples as lists."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}  # not asdict: no deep copy
        data["purpose"] = None if self.purpose is None else self.purpose.value
        data["data_categories"] = [c.value for c in self.data_categories]
        data["action"] = self.action.value
        data["decision"] = self.decision.value
        data["reasons"] = list(self.reasons)
        return data

    def to_bytes(self) -> bytes:
        """The canonical bytes that are hashed into the log."""
        return canonical_json(self.to_dict())

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.to_bytes())

    def pending_bytes(self) -> bytes:
        """The canonical bytes without ``index``: how an entry is kept until it is given its place.

        The index is part of the hashed bytes, so an entry written ahead of
        its place in the log cannot be hashed yet (docs/audit.md §7).
        """
        data = self.to_dict()
        del data["index"]
        return canonical_json(data)

    @staticmethod
    def placed_bytes(pending: bytes, index: int) -> bytes:
        """The canonical bytes of a pending entry placed at ``index``, without parsing it again.

        With keys sorted, ``"index"`` comes just before ``"justification"``; in
        canonical JSON every ``"`` inside a string is escaped, so the first
        ``,"justification":`` is the key. Only for bytes that
        ``from_pending_bytes`` has accepted.
        """
        at = pending.index(b',"justification":')
        return b"%s,\"index\":%d%s" % (pending[:at], index, pending[at:])

    @classmethod
    def from_pending_bytes(cls, data: bytes, index: int) -> AuditEntry:
        """Give a pending entry its place, refusing bytes that are not a canonical pending entry."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidInput(f"pending audit entry is not valid UTF-8 JSON: {error}") from None
        if not isinstance(raw, dict):
            raise InvalidInput("pending audit entry must be a JSON object")
        expected = {f for f in cls.__dataclass_fields__} - {"index"}
        if set(raw) != expected:
            missing, extra = expected - set(raw), set(raw) - expected
            raise InvalidInput(
                f"pending audit entry fields differ from format {FORMAT_VERSION}: "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        if not isinstance(raw["data_categories"], list) or not isinstance(raw["reasons"], list):
            raise InvalidInput("pending audit entry: data_categories and reasons must be lists")
        entry = cls(
            **{
                **raw,
                "index": index,
                "data_categories": tuple(raw["data_categories"]),
                "reasons": tuple(raw["reasons"]),
            }
        )
        if entry.pending_bytes() != data:
            raise InvalidInput("pending audit entry bytes are not in canonical form")
        return entry

    @classmethod
    def from_bytes(cls, data: bytes) -> AuditEntry:
        """Parse stored bytes, refusing any that are not in canonical form."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidInput(f"audit entry is not valid UTF-8 JSON: {error}") from None
        if not isinstance(raw, dict):
            raise InvalidInput("audit entry must be a JSON object")
        expected = {f for f in cls.__dataclass_fields__}
        if set(raw) != expected:
            missing, extra = expected - set(raw), set(raw) - expected
            raise InvalidInput(
                f"audit entry fields differ from format {FORMAT_VERSION}: "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        entry = cls(
            **{
                **raw,
                "data_categories": tuple(raw["data_categories"]),
                "reasons": tuple(raw["reasons"]),
            }
        )
        if entry.to_bytes() != data:
            raise InvalidInput(
                "audit entry bytes are not in canonical form", where=f"entry {entry.index}"
            )
        return entry
