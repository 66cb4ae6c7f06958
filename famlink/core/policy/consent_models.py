"""The council's consent model per purpose, read from one setting (``FAMLINK_CONSENT_MODELS``).

Format: entries separated by ``;``, each ``PURPOSE=MODEL`` or, for a
statutory purpose, ``PURPOSE=statutory:THE LAW`` (the lawful basis, named)::

    service.record_linkage=consent; fraud.debt_recovery=statutory:Social Security Administration Act 1992 s.109B

A purpose not listed runs under its own default (``default_basis``); record
linkage's default is the research's recommendation, ``consent`` (linkage
across services only with a yes; within one service always). What pages
say about each purpose comes from the same answer (``famlink.web.words``),
so nobody is told one thing while the system does another (invariant 8).
"""

from __future__ import annotations

from collections.abc import Mapping

from famlink.core.errors import InvalidInput
from famlink.core.policy.model import ConsentBasis, ConsentModel
from famlink.core.policy.rules import default_basis
from famlink.core.taxonomy import Purpose

SETTING = "FAMLINK_CONSENT_MODELS"
#: The research's recommendation: only 14% of parents think linking without consent is acceptable.
DEFAULT = "service.record_linkage=consent"
#: A person's own legal right: no council can make it depend on consent.
FIXED = frozenset({Purpose.SUBJECT_ACCESS})


def parse_consent_models(text: str) -> dict[Purpose, ConsentBasis]:
    """The models ``text`` sets, checked: an unknown purpose or model, a statutory model without
    a law named, a purpose set twice or a fixed purpose is refused, naming the entry."""
    out: dict[Purpose, ConsentBasis] = {}
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        name, equals, value = (part.strip() for part in entry.partition("="))
        if not equals:
            raise InvalidInput(f"{entry!r} is not PURPOSE=MODEL (consent, opt_out or statutory:LAW)", where=SETTING)
        try:
            purpose = Purpose(name)
        except ValueError:
            known = ", ".join(p.value for p in Purpose if p not in FIXED)
            raise InvalidInput(f"{name!r} is not a purpose; use one of {known}", where=SETTING) from None
        if purpose in FIXED:
            raise InvalidInput(f"{name} is a person's legal right: its consent model cannot be set", where=SETTING)
        if purpose in out:
            raise InvalidInput(f"{name} is set twice", where=SETTING)
        model_name, colon, law = (part.strip() for part in value.partition(":"))
        try:
            model = ConsentModel(model_name)
        except ValueError:
            raise InvalidInput(f"{name}: {model_name!r} is not a consent model; use consent, opt_out or "
                               f"statutory:LAW", where=SETTING) from None
        if model is ConsentModel.STATUTORY and not law:
            raise InvalidInput(f"{name}: statutory needs the law named, e.g. "
                               f"'statutory:Children Act 1989 s.17'", where=SETTING)
        if model is not ConsentModel.STATUTORY and colon:
            raise InvalidInput(f"{name}: only statutory names a law; {model_name} rests on what people say",
                               where=SETTING)
        if not law.isprintable() or len(law) > 200:
            raise InvalidInput(f"{name}: the law named must be one line of at most 200 characters", where=SETTING)
        out[purpose] = ConsentBasis(model, law)
    return out


def consent_bases(configured: Mapping[Purpose, ConsentBasis]) -> dict[Purpose, ConsentBasis]:
    """Every purpose's consent model: the configured one, else the purpose's default."""
    return {purpose: configured.get(purpose) or default_basis(purpose) for purpose in Purpose}
