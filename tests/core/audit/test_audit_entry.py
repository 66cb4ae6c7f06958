from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from famlink.core.audit import AuditEntry, AuditEvent, Verdict
from famlink.core.errors import InvalidInput

from .logbuilder import entry


def test_bytes_are_canonical_json_a_third_party_can_reproduce() -> None:
    e = entry(3)
    data = e.to_bytes()
    raw = json.loads(data)
    # Any JSON library: sorted keys, no whitespace, UTF-8.
    again = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert data == again
    assert raw["occurred_at"] == "2026-01-05T09:03:00.000000Z"
    assert raw["data_categories"] == ["health", "identity"]
    assert raw["index"] == 3 and raw["version"] == 1
    assert e.leaf_hash == hashlib.sha256(b"\x00" + data).digest()


def test_round_trip_and_normalisation() -> None:
    e = entry(4)
    assert AuditEntry.from_bytes(e.to_bytes()) == e
    shifted = AuditEntry(
        **{
            **e.to_dict(),
            "occurred_at": datetime(2026, 1, 5, 10, 4, tzinfo=timezone(timedelta(hours=1))),
            "data_categories": ("identity", "health", "health"),
            "reasons": ("consent_sufficient",),
        }
    )
    assert (
        shifted.to_bytes()
        == AuditEntry(
            **{
                **e.to_dict(),
                "occurred_at": "2026-01-05T09:04:00Z",
                "data_categories": ("health", "identity"),
                "reasons": ("consent_sufficient",),
            }
        ).to_bytes()
    )


def test_non_ascii_is_kept_as_utf8() -> None:
    e = AuditEntry(
        **{
            **entry(1).to_dict(),
            "justification": "Siân\u2019s safety",
            "data_categories": (),
            "reasons": (),
        }
    )
    assert "Siân\u2019s".encode() in e.to_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"occurred_at": "2026-01-05T09:00:00"}, "no time zone"),
        ({"occurred_at": "yesterday"}, "not an ISO 8601"),
        ({"index": -1}, "index"),
        ({"actor_id": ""}, "must name the actor"),
        ({"action": "record:eaten"}, "unknown value"),
        ({"purpose": "marketing"}, "unknown value"),
        ({"version": 2}, "version 2"),
    ],
)
def test_bad_entries_are_refused_clearly(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        AuditEntry(**{**entry(1).to_dict(), **change})


def test_non_canonical_bytes_are_refused() -> None:
    data = entry(2).to_bytes()
    pretty = json.dumps(json.loads(data), indent=1).encode()
    with pytest.raises(InvalidInput, match="canonical"):
        AuditEntry.from_bytes(pretty)
    with pytest.raises(InvalidInput, match="missing"):
        AuditEntry.from_bytes(b'{"index":1}')
    with pytest.raises(InvalidInput, match="JSON"):
        AuditEntry.from_bytes(b"\xff")


def test_event_tags_are_scoped() -> None:
    assert all(":" in tag.value for tag in AuditEvent)
    assert AuditEvent("consent:withdrawn") is AuditEvent.CONSENT_WITHDRAWN
    assert AuditEvent.BREAK_GLASS_USED == "break_glass:used"
    assert {v.value for v in Verdict} == {"allow", "deny"}


@pytest.mark.parametrize(
    "actor_id",
    ["staff-1", 'x","justification":"forged', 'a\\",\\"justification\\":', "ünïcode,\"justification\":1", ""],
)
def test_a_pending_entry_placed_later_has_exactly_the_bytes_of_one_made_in_place(actor_id: str) -> None:
    e = entry(0)
    fields = {**e.to_dict(), "actor_id": actor_id or "a", "justification": 'why,"justification":x'}
    pending = AuditEntry(**fields).pending_bytes()
    assert b'"index"' not in pending
    for index in (0, 7, 1_000_000):
        placed = AuditEntry.from_pending_bytes(pending, index)
        assert AuditEntry.placed_bytes(pending, index) == placed.to_bytes()
        assert AuditEntry.from_bytes(placed.to_bytes()) == placed


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b.replace(b'"health"', b'"  health"'),  # not canonical any more
        lambda b: b.replace(b'"record:viewed"', b'"record:deleted"'),  # not an event
        lambda b: b[:-1],  # not JSON
        lambda b: b.replace(b'{"action"', b'{"index":3,"action"'),  # smuggles an index in
    ],
)
def test_an_edited_pending_entry_is_refused(edit: object) -> None:
    pending = entry(0).pending_bytes()
    with pytest.raises(InvalidInput):
        AuditEntry.from_pending_bytes(edit(pending), 0)  # type: ignore[operator]
