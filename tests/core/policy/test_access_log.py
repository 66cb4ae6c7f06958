"""The one rule for a parent's access log: staff and systems in full, other people's own activity never."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.policy import (
    Actor,
    LoggedAccess,
    LogShowing,
    Role,
    access_log_reason_shown,
    access_log_showing,
)
from famlink.core.taxonomy import Purpose

MUM = Actor(id="mum", role=Role.PARENT, person_id="P-MUM")
CP = Purpose.SAFEGUARDING_CHILD_PROTECTION
SHOWN, REFUSAL, HIDDEN = LogShowing.IN_FULL, LogShowing.REFUSAL_ONLY, LogShowing.NOT_SHOWN


@pytest.mark.parametrize(("entry", "expected"), [
    (LoggedAccess("sw-jones", Role.PRACTITIONER, allowed=True), SHOWN),
    (LoggedAccess("sw-jones", Role.PRACTITIONER, allowed=False), SHOWN),  # staff answer for refusals too
    (LoggedAccess("linkage", Role.SYSTEM, allowed=True), SHOWN),
    (LoggedAccess("records-officer", Role.DATA_TEAM, allowed=True, actor_in_family=True), SHOWN),
    (LoggedAccess("mum", Role.PARENT, allowed=True), HIDDEN),  # her own visits
    (LoggedAccess("dad", Role.PARENT, allowed=True, actor_in_family=True), HIDDEN),  # his visits and downloads
    (LoggedAccess("dad", Role.PARENT, allowed=False, actor_in_family=True), HIDDEN),  # and his refusals
    (LoggedAccess("outsider", Role.PARENT, allowed=False), REFUSAL),  # another family's try: never who
    (LoggedAccess("someone", Role.PUBLIC, allowed=False), REFUSAL),
    (LoggedAccess("sw-quiet", Role.PRACTITIONER, allowed=True, purpose=CP, withheld=True), HIDDEN),
    (LoggedAccess("sw-jones", Role.PRACTITIONER, allowed=True, purpose=Purpose.DIRECT_SERVICE_DELIVERY,
                  withheld=True), SHOWN),  # withholding covers child-protection looks only...
    (LoggedAccess("famlink-linkage", Role.SYSTEM, allowed=True, purpose=Purpose.RECORD_LINKAGE,
                  withheld=True, break_glass=True), HIDDEN),  # ...and what a child-protection override let in,
    (LoggedAccess("famlink-linkage", Role.SYSTEM, allowed=False, purpose=Purpose.RECORD_LINKAGE,
                  withheld=True, break_glass=True), HIDDEN),  # or tried to (its justification is in the entry)
    (LoggedAccess("famlink-linkage", Role.SYSTEM, allowed=True, purpose=Purpose.RECORD_LINKAGE,
                  break_glass=True), SHOWN),  # once the withholding ends, the parent is told
    (LoggedAccess("famlink-linkage", Role.SYSTEM, allowed=False, purpose=Purpose.RECORD_LINKAGE,
                  withheld=True), SHOWN),  # an opt-out honoured is no secret
])
def test_each_kind_of_entry(entry: LoggedAccess, expected: LogShowing) -> None:
    assert access_log_showing(MUM, entry) is expected


@given(actor_id=st.text(max_size=12), role=st.sampled_from([Role.PARENT, Role.PUBLIC]), allowed=st.booleans(),
       in_family=st.booleans(), withheld=st.booleans(), purpose=st.none() | st.sampled_from(list(Purpose)))
def test_nobody_acting_for_themselves_is_ever_named_to_a_parent(
    actor_id: str, role: Role, allowed: bool, in_family: bool, withheld: bool, purpose: Purpose | None,
) -> None:
    showing = access_log_showing(MUM, LoggedAccess(actor_id, role, allowed, purpose, in_family, withheld))
    assert showing is not LogShowing.IN_FULL
    assert showing is LogShowing.NOT_SHOWN or (not allowed and not in_family and actor_id != MUM.id)


@pytest.mark.parametrize(("purpose", "shown"), [(CP, True), (Purpose.RECORD_LINKAGE, False),
                                                (Purpose.DIRECT_SERVICE_DELIVERY, False), (None, False)])
def test_the_written_reason_is_shown_for_a_child_protection_look(purpose: Purpose | None, shown: bool) -> None:
    entry = LoggedAccess("sw-jones", Role.PRACTITIONER, allowed=True, purpose=purpose, break_glass=True)
    assert access_log_reason_shown(entry) is shown
