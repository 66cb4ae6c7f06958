"""The information-sharing pages: record a decision with the golden rules, and list them, through the door."""

from __future__ import annotations

import pytest

from famlink.adapters.storage.governance import actors
from famlink.adapters.storage.governance.models import AuditLogEntry
from famlink.adapters.storage.workspace.models import SharingDecision
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from famlink.services.workspace.opening import open_family
from famlink.services.workspace.sharing import GOLDEN_RULES
from tests.common import builders
from tests.web.checking_client import CheckingClient

pytestmark = pytest.mark.django_db
FORM = {"verdict": "share", "recipient": "School nurse", "information": "Missed appointment dates",
        "categories": ["health"], "reasons": "Needed to arrange a catch-up appointment.", "lawful_basis": "public_task",
        "golden_rules": list(GOLDEN_RULES), "parent_told": "yes", "case_reference": "EH-12"}


@pytest.fixture
def scene() -> dict:  # type: ignore[type-arg]
    fam = builders.family("SharePage")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    cast = builders.break_glass_cast("w")
    page = builders.signed_in_staff(CheckingClient(), cast.practitioner)
    open_family(actors.actor_for(cast.practitioner.user), fam.child.public_id, Purpose.DIRECT_SERVICE_DELIVERY, "EH-12")
    return {"fam": fam, "cast": cast, "page": page}


def test_a_practitioner_records_a_decision_and_sees_it_listed(scene: dict) -> None:  # type: ignore[type-arg]
    child, page = scene["fam"].child, scene["page"]
    url = f"/workspace/families/{child.public_id}/sharing/"
    form = page.get(url + "new/")
    assert form.status_code == 200 and child.display_name in form.content.decode()
    assert len(form.page.findall(".//input[@name='golden_rules']")) == 7
    done = page.post(url + "new/", FORM)
    assert done.status_code == 302 and SharingDecision.objects.get().recipient == "School nurse"
    listed = page.get(url).content.decode()
    assert "School nurse" in listed and "Missed appointment dates" in listed and "EH-12" in listed
    assert AuditLogEntry.objects.filter(subject_id=child.public_id, action="sharing:decided").count() == 1


def test_a_share_without_the_golden_rules_is_sent_back_with_the_reason(scene: dict) -> None:  # type: ignore[type-arg]
    url = f"/workspace/families/{scene['fam'].child.public_id}/sharing/new/"
    back = scene["page"].post(url, {**FORM, "golden_rules": ["necessary"]})
    assert back.status_code == 400 and "confirm each golden rule" in back.content.decode()
    assert back.page.find(".//div[@class='govuk-error-summary']") is not None
    assert not SharingDecision.objects.exists()
    hostile = scene["page"].post(url, {**FORM, "break_glass": "١٢"})
    assert hostile.status_code == 400 and not SharingDecision.objects.exists()


def test_without_an_opening_the_pages_send_you_to_state_a_purpose_and_without_consent_it_is_refused(
        scene: dict) -> None:  # type: ignore[type-arg]
    """The purpose is the one stated when the family was opened, never one from the URL."""
    mother = scene["fam"].mother
    unopened = scene["page"].get(f"/workspace/families/{mother.public_id}/sharing/?purpose=service.direct_delivery")
    assert unopened.status_code == 302 and unopened["Location"].endswith(f"/families/{mother.public_id}/open/")
    refused = scene["page"].post(f"/workspace/families/{mother.public_id}/open/",
                                 {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value, "case_reference": "EH-12"})
    assert refused.status_code in (400, 403) and mother.display_name not in refused.content.decode()
    assert "consent" in refused.content.decode()
    reviewer = builders.signed_in_staff(CheckingClient(), scene["cast"].reviewer)
    assert reviewer.get(f"/workspace/families/{scene['fam'].child.public_id}/sharing/").status_code == 403
