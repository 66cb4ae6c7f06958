"""Pages word famlink's values in the reader's language; in English they say what the downloads say."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.functional import Promise

from famlink.adapters.storage.accounts.models import Account
from famlink.core.audit import AuditEvent
from famlink.core.audit.runs import KeptApartBecause
from famlink.core.consent import ConsentState
from famlink.core.rights import Clock, RequestKind, RequestStatus
from famlink.core.taxonomy import Purpose, RecordCategory, RecordStatus
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import download_words
from famlink.services.rights.disclosure import RunLine
from famlink.web import words
from tests.common import builders
from tests.web.conftest import sign_in_as


def english(vocabulary: Mapping[Any, Promise]) -> dict[Any, str]:
    with translation.override("en"):
        return {value: str(said) for value, said in vocabulary.items()}


def test_every_value_a_page_shows_has_words_that_match_the_english_downloads() -> None:
    assert english(words.RECORD_CATEGORY) == download_words.CATEGORY_WORDS and set(RecordCategory) <= set(
        words.RECORD_CATEGORY)
    assert english(words.RECORD_STATUS) == download_words.STATUS_WORDS and set(RecordStatus) <= set(words.RECORD_STATUS)
    assert english(words.PURPOSE) == download_words.PURPOSE_WORDS and set(Purpose) <= set(words.PURPOSE)
    assert english(words.CONSENT_STATE) == download_words.STATE_WORDS and set(ConsentState) <= set(words.CONSENT_STATE)
    assert english(words.AUDIT_EVENT) == download_words.ACTION_WORDS
    # the core's English names for requests are what messages and emails to the family say
    assert english(words.REQUEST_KIND) == {kind: kind.label for kind in RequestKind}
    assert english(words.REQUEST_STATUS) == {status: status.label for status in RequestStatus}
    assert english(words.CLOCK) == {clock: clock.label for clock in Clock}


def test_a_value_is_worded_by_its_type_or_by_the_kind_named() -> None:
    with translation.override("en"):
        assert str(words.words(RecordStatus.DID_NOT_ATTEND)) == "Did not attend"
        assert str(words.words("status:fulfilled", "RequestStatus")) == "Done"
        assert words.words(None) == "" and words.words("") == ""
        assert words.words(AuditEvent.CONSENT_GIVEN) == "consent: given"  # no words of its own yet: its name
    with pytest.raises(TypeError, match="no words for str"):
        words.words("did_not_attend")  # a bare string could be anything: the page must say what it is


@pytest.mark.django_db
def test_a_welsh_reader_sees_what_a_record_is_and_what_happened_in_welsh() -> None:
    fam = builders.family("Cymraeg")
    record = fam.child.assignments.first().record
    record.status = RecordStatus.DID_NOT_ATTEND
    record.save(update_fields=["status"])
    create_parent("cy-mum", fam.mother, password="not-a-real-password-1")
    client = sign_in_as(Client(), Account.objects.get(user__username="cy-mum"))

    english_page = client.get("/portal/records/").content.decode()
    assert "Health appointment" in english_page and "Did not attend" in english_page

    client.get("/language/cy/")
    welsh_page = client.get("/portal/records/").content.decode()
    assert "Apwyntiad iechyd" in welsh_page and "Heb fynychu" in welsh_page
    assert "Health appointment" not in welsh_page and "Did not attend" not in welsh_page


@pytest.mark.parametrize(("joined", "apart", "because", "own", "glass"), [
    (1, 0, None, True, False), (12, 2, KeptApartBecause.SAID_NO, True, False),
    (3, 1, KeptApartBecause.NOT_YES, False, False), (2, 3, KeptApartBecause.RULES, False, True)])
def test_a_linkage_runs_line_says_on_the_page_what_the_download_says(
        joined: int, apart: int, because: KeptApartBecause | None, own: bool, glass: bool) -> None:
    line = RunLine(run=4, person_id="P1", matched_on=date(2026, 12, 4), records_joined=joined, services=3,
                   services_kept_apart=apart, because=because, own=own, break_glass=glass)
    with translation.override("en"):
        assert words.run_line(line, "Aled") == download_words.run_words(line, "Aled")
    assert english(words.KEPT_APART) == download_words.KEPT_APART_WORDS and set(KeptApartBecause) <= set(words.KEPT_APART)
    hidden = RunLine(**{**line.__dict__, "counts_hidden": True})
    with translation.override("en"):
        assert words.run_line(hidden, "Aled") == download_words.run_words(hidden, "Aled")
    assert download_words.run_words(hidden, "Aled") == ("Your" if own else "Aled's") + " records were matched on 4 December 2026"
    if own and apart:
        assert download_words.run_words(line, "Aled") == (
            "Your records were matched on 4 December 2026: 12 records joined; "
            "records from 2 services kept apart because you said no")
