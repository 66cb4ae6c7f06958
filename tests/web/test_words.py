"""Pages word famlink's values in the reader's language; in English they say what the downloads say."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.functional import Promise

from famlink.adapters.storage.accounts.models import Account
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentState
from famlink.core.rights import Clock, RequestKind, RequestStatus
from famlink.core.taxonomy import Purpose, RecordCategory, RecordStatus
from famlink.services.accounts.provisioning import create_parent
from famlink.services.rights import download_words
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
