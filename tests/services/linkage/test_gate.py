"""Linkage input honours recorded opt-outs, except under a recorded child-protection exemption."""

from __future__ import annotations

import pytest

from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.core.policy import Actor, Role
from famlink.services.governance.consent import set_opt_out
from famlink.services.governance.safeguarding import authorise_break_glass
from famlink.services.linkage.input import linkage_filter
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_opted_out_records_stay_out_unless_child_protection_exempts_them() -> None:
    fam = builders.family("lg")
    data_team = Actor(id="dt", role=Role.DATA_TEAM)
    set_opt_out(fam.mother, "linkage", True, recorded_by=data_team)
    set_opt_out(fam.child, "linkage", True, recorded_by=data_team)
    authorise_break_glass(fam.child, builders.staff(), builders.authoriser(),
                          "Section 47 enquiry opened; records needed to identify the child.")
    by_person = {fam.mother.public_id: [1, 2], fam.child.public_id: [3], fam.father.public_id: [4], None: [5]}
    found = linkage_filter().excluded(by_person)
    assert found.record_ids == {1, 2}
    assert fam.child.public_id in found.exempted and "Section 47" in found.exempted[fam.child.public_id]
    logged = dict(AuditLogEntry.objects.filter(action="linkage:run").values_list("subject_id", "decision"))
    assert logged == {fam.mother.public_id: "deny", fam.child.public_id: "allow"}
