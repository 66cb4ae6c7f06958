"""Consent in a linkage run: who each record's person is, what clustering may join, what each person got.

The rules are the policy's (``famlink.core.policy.linkage``); this module
only puts a run's records to them in bulk: each record's standing is its
person's decision (the person it was last assigned to) or, for a record
never linked, its source's decision for someone unknown; an identity
(records identical in every identifying detail, from one source) has the
standing of its records taken together; and after clustering, each person's
``PersonLinkageOutcome``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from famlink.adapters.storage.sources.models import Source
from famlink.core.linkage.consent import Exclusions, PersonLinkageOutcome
from famlink.core.linkage.constraints import AcrossServices
from famlink.core.policy.linkage import Standing, may_span_services

#: An identity's standing from its records': a refusal first, then a yes, else no answer.
_FIRST = {Standing.REFUSES: 0, Standing.ALLOWS: 1, Standing.NOT_ANSWERED: 2}
_BY_RANK = {rank: s for s, rank in _FIRST.items()}
_NOBODY = "\x00never linked"  # a group key no public id can be


def sector_of_source() -> dict[str, str]:
    """Source name -> its service (sector): 'within one service' is within one sector, as ``decide()`` reckons."""
    return {name: str(sector) for name, sector in Source.objects.values_list("name", "organisation__sector")}


def grouped(records: pd.DataFrame, group: pd.Series) -> tuple[dict[str | None, list[int]], dict[str | None, set[str]]]:
    """Record ids and source names per current person (``group``: per record row, public id or None)."""
    key = group.astype(object).where(group.notna(), _NOBODY)
    frame = pd.DataFrame({"person": key.to_numpy(), "id": records["id"].astype(int).to_numpy(),
                          "source": records["source"].astype(str).to_numpy()})
    ids = frame.groupby("person", sort=False)["id"].agg(list)
    pairs = frame[["person", "source"]].drop_duplicates()
    names = pairs.groupby("person", sort=False)["source"].agg(set)

    def person(value: object) -> str | None:
        return None if value is _NOBODY else str(value)

    return ({person(p): v for p, v in ids.items()}, {person(p): v for p, v in names.items()})


def record_standing(records: pd.DataFrame, group: pd.Series, exclusions: Exclusions) -> pd.Series:
    """Each record's standing rank (``_FIRST``), indexed like ``records``."""
    person = group.map({p: _FIRST[d.standing] for p, d in exclusions.decisions.items()})
    source = records["source"].map({s: _FIRST[exclusions.standing(None, s)] for s in records["source"].unique()})
    return person.where(group.notna(), source).fillna(_FIRST[Standing.NOT_ANSWERED]).astype(int)


def across_services(records: pd.DataFrame, group: pd.Series, identity: pd.Series, exclusions: Exclusions,
                    sectors: Mapping[str, str]) -> AcrossServices:
    """What clustering may join across services, per identity (record id of its first record)."""
    rank = record_standing(records, group, exclusions)
    ident = records["id"].map(identity)
    best = rank.groupby(ident.to_numpy()).min()
    service = records["source"].map(sectors).groupby(ident.to_numpy()).first()
    return AcrossServices(service=service.to_dict(), standing=best.map(_BY_RANK).to_dict())


def person_outcomes(records: pd.DataFrame, group: pd.Series, person_of_record: Mapping[int, str],
                    exclusions: Exclusions, sectors: Mapping[str, str],
                    kept_apart: Iterable[tuple[str, str]]) -> list[PersonLinkageOutcome]:
    """Each person's outcome after the run (``person_of_record``: record id -> public id after it).

    A person's records may span services when ``may_span_services`` allows
    their decisions taken together (their own, those of people merged into
    them, and their never-linked records' sources'). Kept-apart services are
    those of records a consent rule kept out of the person's cluster.
    """
    groups: dict[str, set[object]] = {}  # person -> the groups (current persons, or ("new", source)) in them
    for rid, current, source in zip(records["id"].astype(int).tolist(), group.astype(object).tolist(),
                                    records["source"].astype(str).tolist(), strict=True):
        person = person_of_record.get(rid)
        if person is not None:
            groups.setdefault(person, set()).add(current if isinstance(current, str) else ("new", source))
    service_of = dict(zip(records["id"].astype(int).tolist(), records["source"].map(sectors).tolist(), strict=True))
    apart: dict[str, set[str]] = {}
    for left, right in kept_apart:
        a, b = person_of_record.get(int(left)), person_of_record.get(int(right))
        if a is not None and b is not None and a != b:
            apart.setdefault(a, set()).add(str(service_of[int(right)]))
            apart.setdefault(b, set()).add(str(service_of[int(left)]))
    out = []
    for person in sorted(groups):
        decided = [d for g in groups[person] if (d := (exclusions.unlinked.get(g[1]) if isinstance(g, tuple)
                                                        else exclusions.decisions.get(str(g)))) is not None]
        out.append(PersonLinkageOutcome(
            person_id=person,
            allowed_across_services=person not in exclusions.reasons and may_span_services(d.standing for d in decided),
            reasons=tuple(dict.fromkeys(r for d in decided for r in d.reasons)),
            kept_apart_services=tuple(sorted(apart.get(person, ()))),
            break_glass=any(d.break_glass for d in decided)))
    return out
