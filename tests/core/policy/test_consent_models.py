"""The council's consent model per purpose (``FAMLINK_CONSENT_MODELS``): read exactly, refused clearly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.errors import InvalidInput
from famlink.core.policy import ConsentBasis, ConsentModel
from famlink.core.policy.consent_models import DEFAULT, consent_bases, parse_consent_models
from famlink.core.taxonomy import Purpose

LINKAGE = Purpose.RECORD_LINKAGE
MODELS = {m.value for m in ConsentModel}


def test_the_default_is_the_research_recommendation() -> None:
    assert parse_consent_models(DEFAULT) == {LINKAGE: ConsentBasis(ConsentModel.CONSENT)}
    assert consent_bases({})[LINKAGE].model is ConsentModel.CONSENT


def test_each_model_with_the_law_named_for_statutory() -> None:
    parsed = parse_consent_models(" service.record_linkage = statutory: Children Act 1989 s.17 ;"
                                  "planning.aggregate=opt_out;;service.direct_delivery=consent")
    assert parsed == {LINKAGE: ConsentBasis(ConsentModel.STATUTORY, "Children Act 1989 s.17"),
                      Purpose.SERVICE_PLANNING: ConsentBasis(ConsentModel.OPT_OUT),
                      Purpose.DIRECT_SERVICE_DELIVERY: ConsentBasis(ConsentModel.CONSENT)}
    assert consent_bases(parsed)[Purpose.RESEARCH_STATISTICS].model is ConsentModel.CONSENT  # not listed: default


@pytest.mark.parametrize(("text", "names"), [
    ("service.record_linkage=statutory", ["service.record_linkage", "law"]),
    ("service.record_linkage=consent:Children Act 1989", ["service.record_linkage", "only statutory"]),
    ("service.record_linkage=consent;service.record_linkage=opt_out", ["set twice"]),
    ("rights.subject_access=consent", ["rights.subject_access", "legal right"]),
    ("service.record_linkage", ["PURPOSE=MODEL"]),
])
def test_bad_entries_are_refused_naming_them(text: str, names: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_consent_models(text)
    assert caught.value.where == "FAMLINK_CONSENT_MODELS"
    assert all(name in caught.value.message for name in names)


@given(st.text(min_size=1).filter(lambda t: t.strip() not in MODELS and ";" not in t and ":" not in t))
def test_an_unknown_model_is_refused_naming_the_purpose_and_the_value(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_consent_models(f"service.record_linkage={value}")
    assert "service.record_linkage" in caught.value.message and repr(value.strip()) in caught.value.message


@given(st.text(min_size=1).filter(lambda t: t.strip() not in {p.value for p in Purpose}
                                  and t.strip() and not set(t) & set(";=")))
def test_an_unknown_purpose_is_refused_naming_it(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_consent_models(f"{name}=consent")
    assert repr(name.strip()) in caught.value.message


@given(st.text())
def test_any_text_is_read_or_refused_clearly(text: str) -> None:
    try:
        parsed = parse_consent_models(text)
    except InvalidInput as error:
        assert error.where == "FAMLINK_CONSENT_MODELS" and error.message
    else:
        assert all(isinstance(p, Purpose) and isinstance(b, ConsentBasis) for p, b in parsed.items())
