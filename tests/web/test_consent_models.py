"""Pages say exactly the consent model the system runs on (``FAMLINK_CONSENT_MODELS``), from the same setting.

The consent page, the organisations page and the public algorithm register
each show record linkage's model (and the law named, for a statutory one),
and change when the configuration changes.
"""

from __future__ import annotations

import pytest

from famlink.core.taxonomy import Purpose
from tests.common.export_family import LinkedFamily, linked_family
from tests.web.checking_client import CheckingClient
from tests.web.conftest import sign_in_family

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_data_dir")]
LAW = "Children Act 1989 s.17"
SAID = {
    "consent": "Records from different services are matched only if you say yes.",
    "opt_out": "Records from different services are matched unless you say no or opt out.",
    f"statutory:{LAW}": ("Records from different services are matched because the law says we must, so we do not "
                         f"ask you and you cannot opt out. The law is: {LAW}."),
}
WITHIN = "Records from the same service are always matched with each other."


def text(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join("".join(page.itertext()).split())


@pytest.fixture
def fam() -> LinkedFamily:
    return linked_family("Model", children=1, records_per_person=1, staff_looks=0)


@pytest.mark.parametrize("model", list(SAID))
def test_every_page_says_the_configured_model(client: CheckingClient, fam: LinkedFamily, model: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", f"{Purpose.RECORD_LINKAGE.value}={model}")
    others = [sentence for other, sentence in SAID.items() if other != model]
    register = text(client.get("/registers/algorithms").page)
    sign_in_family(client, fam)
    consent = text(client.get("/portal/consent/").page)
    organisations = text(client.get("/portal/organisations/").page)
    for body in (register, consent, organisations):
        assert SAID[model] in body and WITHIN in body
        assert not any(sentence in body for sentence in others)
    assert "Matching records that are about the same person" in register


def test_the_consent_page_says_what_no_answer_means_under_each_model(client: CheckingClient, fam: LinkedFamily,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in_family(client, fam)
    monkeypatch.delenv("FAMLINK_CONSENT_MODELS", raising=False)
    assert ("Not asked yet. Records from different services are not matched until you say yes."
            in text(client.get("/portal/consent/").page))
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", "service.record_linkage=opt_out")
    assert "Not asked yet. The records are used for this unless you say no." in text(client.get("/portal/consent/").page)
    monkeypatch.setenv("FAMLINK_CONSENT_MODELS", f"service.record_linkage=statutory:{LAW}")
    page = text(client.get("/portal/consent/").page)
    assert "You are not asked: the law says we must." in page
    assert f"so opting out does not stop it. The law is: {LAW}." in page
