"""The break-glass pages: ask, decide on your own screen, withhold, review; each only for the people it names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.governance.models import BreakGlassAuthorisation, BreakGlassRequest
from famlink.services.accounts.provisioning import create_parent
from tests.common import builders
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_as

pytestmark = pytest.mark.django_db
WHY = "Section 47 enquiry opened after a hospital referral; records needed to assess risk today."


@pytest.fixture
def scene() -> dict:  # type: ignore[type-arg]
    fam = builders.family("Pages")
    cast = builders.break_glass_cast("p")
    create_parent("mum-pages", fam.mother, password="not-a-real-password-1")
    return {"fam": fam, "cast": cast, "as": lambda member: builders.signed_in_staff(CheckingClient(), member)}


def _ask(scene: dict) -> BreakGlassRequest:  # type: ignore[type-arg]
    page = scene["as"](scene["cast"].practitioner)
    response = page.post(f"/workspace/break-glass/new/?person={scene['fam'].child.public_id}",
                         {"authoriser": scene["cast"].lead.pk, "case_reference": "CP-7", "justification": WHY})
    made = BreakGlassRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/workspace/break-glass/{made.pk}/"
    return made


def test_the_practitioner_asks_and_sees_their_request(scene: dict) -> None:  # type: ignore[type-arg]
    page = scene["as"](scene["cast"].practitioner)
    form = page.get(f"/workspace/break-glass/new/?person={scene['fam'].child.public_id}")
    assert form.status_code == 200
    options = [o.text for o in form.page.findall(".//select[@id='id_authoriser']/option")]
    assert "dslp (Exampleshire Children's Services)" in options and "swp" not in " ".join(options)
    assert scene["fam"].child.display_name not in form.content.decode()  # the person by id only: no records
    short = page.post(f"/workspace/break-glass/new/?person={scene['fam'].child.public_id}",
                      {"authoriser": scene["cast"].lead.pk, "case_reference": "CP-7", "justification": "urgent"})
    assert short.status_code == 400 and "at least 20 characters" in short.content.decode()
    assert page.get("/workspace/break-glass/new/?person=nobody").status_code == 404
    made = _ask(scene)
    mine = page.get("/workspace/break-glass/")
    assert mine.status_code == 200 and f"/workspace/break-glass/{made.pk}/" in mine.content.decode()
    detail = page.get(f"/workspace/break-glass/{made.pk}/")
    assert "waiting for the authoriser" in detail.content.decode() and b"Your decision" not in detail.content


def test_only_the_named_authoriser_decides(scene: dict) -> None:  # type: ignore[type-arg]
    made = _ask(scene)
    cast = scene["cast"]
    other = scene["as"](cast.other)
    assert other.get(f"/workspace/break-glass/{made.pk}/").status_code == 404
    assert other.post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve"}).status_code == 404
    asker = scene["as"](cast.practitioner)
    asker.post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve"})
    assert not BreakGlassAuthorisation.objects.exists()
    lead = scene["as"](cast.lead)
    inbox = lead.get("/workspace/break-glass/to-decide/")
    assert f"/workspace/break-glass/{made.pk}/" in inbox.content.decode()
    refused = lead.post(f"/workspace/break-glass/{made.pk}/", {"decision": "refuse", "note": ""})
    assert refused.status_code == 400 and "say why you are refusing" in refused.content.decode()
    approved = lead.post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve", "note": "Agreed."})
    glass = BreakGlassAuthorisation.objects.get()
    assert approved.status_code == 302
    shown = asker.get(f"/workspace/break-glass/{made.pk}/").content.decode()
    assert f"break_glass={glass.pk}" in shown and "Family told" in shown


def test_the_parent_reads_a_plain_message(scene: dict) -> None:  # type: ignore[type-arg]
    made = _ask(scene)
    scene["as"](scene["cast"].lead).post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve"})
    mum = sign_in_as(CheckingClient(), Account.objects.get(user__username="mum-pages"))
    page = mum.get("/portal/messages/").content.decode()
    assert "Someone looked at your child" in page and WHY in page and "complain" in page


def test_a_lead_withholds_before_approval_and_the_family_is_not_told_yet(scene: dict) -> None:  # type: ignore[type-arg]
    made = _ask(scene)
    lead = scene["as"](scene["cast"].lead)
    assert scene["as"](scene["cast"].other).get(f"/workspace/break-glass/{made.pk}/withhold/").status_code == 404
    too_long = lead.post(f"/workspace/break-glass/{made.pk}/withhold/", {
        "until": (timezone.localdate() + timedelta(days=40)).isoformat(), "reason": "tip-off risk"})
    assert too_long.status_code == 400 and "28 days" in too_long.content.decode()
    done = lead.post(f"/workspace/break-glass/{made.pk}/withhold/", {
        "until": (timezone.localdate() + timedelta(days=10)).isoformat(), "reason": "Telling them would tip off."})
    assert done.status_code == 302
    lead.post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve"})
    assert BreakGlassAuthorisation.objects.get().parent_told_at is None
    assert "Not yet: withheld until" in lead.get(f"/workspace/break-glass/{made.pk}/").content.decode()


def test_the_reviewer_reviews_but_never_their_own_and_nothing_else(scene: dict) -> None:  # type: ignore[type-arg]
    made = _ask(scene)
    cast = scene["cast"]
    scene["as"](cast.lead).post(f"/workspace/break-glass/{made.pk}/", {"decision": "approve"})
    glass = BreakGlassAuthorisation.objects.get()
    reviewer = scene["as"](cast.reviewer)
    queue = reviewer.get("/workspace/reviews/")
    assert queue.status_code == 200 and f"/workspace/reviews/{glass.pk}/" in queue.content.decode()
    page = reviewer.get(f"/workspace/reviews/{glass.pk}/").content.decode()
    assert WHY in page and "swp" in page and "dslp" in page and scene["fam"].child.display_name not in page
    assert reviewer.get("/workspace/break-glass/").status_code == 403  # a reviewer asks for nothing
    assert scene["as"](cast.practitioner).get("/workspace/reviews/").status_code == 403
    # a reviewer who authorised it cannot review it
    glass.authoriser = builders.staff(builders.Role.INDEPENDENT_REVIEWER, name="rev-auth", purposes=[],
                                      authoriser_until=timezone.now() + timedelta(days=30))
    glass.save()
    own = scene["as"](glass.authoriser)
    assert own.get(f"/workspace/reviews/{glass.pk}/").status_code == 404
    assert own.post(f"/workspace/reviews/{glass.pk}/", {"outcome": "upheld", "note": "fine"}).status_code == 404
    missing = reviewer.post(f"/workspace/reviews/{glass.pk}/", {"outcome": "upheld"})
    assert missing.status_code == 400
    assert reviewer.post(f"/workspace/reviews/{glass.pk}/", {"outcome": "upheld", "note": "Clear risk."}).status_code == 302
    glass.refresh_from_db()
    assert glass.outcome == "upheld"
    assert "Justified" in reviewer.get(f"/workspace/reviews/{glass.pk}/").content.decode()
