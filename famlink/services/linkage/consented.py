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

import numpy as np
import pandas as pd

from famlink.adapters.storage.sources.models import Source
from famlink.core.linkage.consent import Exclusions, LinkageDecision, PersonLinkageOutcome
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
    """Record ids and source names per current person (``group``: per record row, public id or None).

    Sorted and cut with numpy: pandas' ``agg(list)`` makes one Python call per
    person, 18 seconds for 300,000 people.
    """
    if records.empty:
        return {}, {}
    codes, people = pd.factorize(group.astype(object).where(group.notna(), _NOBODY), sort=False)
    order = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    ids = np.split(records["id"].astype("int64").to_numpy()[order], cuts)
    names = np.split(records["source"].astype(str).to_numpy()[order], cuts)
    keys = [None if p == _NOBODY else str(p) for p in people[codes[order][np.r_[0, cuts]]]]
    return ({k: part.tolist() for k, part in zip(keys, ids, strict=True)},
            {k: set(part.tolist()) for k, part in zip(keys, names, strict=True)})


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
    # plain lists, not Series.to_dict(): that walks an Arrow string index one value at a time
    ranks = [_BY_RANK[r] for r in best.to_numpy().tolist()]
    return AcrossServices(service=dict(zip(service.index.to_numpy(dtype=object).tolist(),
                                           service.to_numpy(dtype=object).tolist(), strict=True)),
                          standing=dict(zip(best.index.to_numpy(dtype=object).tolist(), ranks, strict=True)))


def person_outcomes(records: pd.DataFrame, group: pd.Series, person_of_record: Mapping[int, str],
                    exclusions: Exclusions, sectors: Mapping[str, str],
                    kept_apart: Iterable[tuple[str, str]]) -> list[PersonLinkageOutcome]:
    """Each person's outcome after the run (``person_of_record``: record id -> public id after it).

    A person's records may span services when ``may_span_services`` allows
    their decisions taken together (their own, those of people merged into
    them, and their never-linked records' sources'). Kept-apart services are
    those of records a consent rule kept out of the person's cluster.

    Decisions are shared objects, one per distinct answer (a handful), so
    each person's set of answers is a bit mask summed by pandas, and each
    distinct mask is worded once: a million records, not a million loops.
    """
    answers: list[LinkageDecision] = []
    number: dict[int, int] = {}
    for decision in [*exclusions.decisions.values(), *exclusions.unlinked.values()]:
        if id(decision) not in number:
            number[id(decision)] = len(answers)
            answers.append(decision)
    if len(answers) > 62:  # more distinct answers than bits: fall back to one answer per group, still correct
        answers, number = _distinct(answers)
    ids = records["id"].astype("int64")
    of_person = group.map({p: number[id(d)] for p, d in exclusions.decisions.items()})
    of_source = records["source"].map({s: number[id(d)] for s, d in exclusions.unlinked.items()})
    answer = of_person.where(group.notna(), of_source)
    frame = pd.DataFrame({"person": ids.map(person_of_record).to_numpy(), "answer": answer.to_numpy()})
    frame = frame[frame["person"].notna()]
    known = frame[frame["answer"].notna()].drop_duplicates()
    masks = (2 ** known["answer"].astype("int64")).groupby(known["person"].to_numpy()).sum()
    masks = masks.reindex(sorted(frame["person"].unique()), fill_value=0)

    service_of = dict(zip(ids.tolist(), records["source"].map(sectors).tolist(), strict=True))
    apart: dict[str, set[str]] = {}
    for left, right in kept_apart:
        a, b = person_of_record.get(int(left)), person_of_record.get(int(right))
        if a is not None and b is not None and a != b:
            apart.setdefault(a, set()).add(str(service_of[int(right)]))
            apart.setdefault(b, set()).add(str(service_of[int(left)]))
    for left_out in exclusions.reasons:  # opted out: held out of linkage, every service of theirs kept apart
        apart.setdefault(left_out, set())
    if exclusions.reasons:
        for rid, person in person_of_record.items():
            if person in exclusions.reasons and rid in service_of:
                apart[person].add(str(service_of[rid]))
    worded: dict[int, tuple[bool, tuple[str, ...], bool]] = {}
    out = []
    for person, mask in zip(masks.index.to_numpy(dtype=object).tolist(), masks.tolist(), strict=True):
        if mask not in worded:
            decided = [a for i, a in enumerate(answers) if mask >> i & 1]
            worded[mask] = (may_span_services(d.standing for d in decided),
                            tuple(dict.fromkeys(r for d in decided for r in d.reasons)),
                            any(d.break_glass for d in decided))
        allowed, reasons, glass = worded[mask]
        out.append(PersonLinkageOutcome(
            person_id=person, allowed_across_services=allowed and person not in exclusions.reasons,
            reasons=reasons, kept_apart=tuple(sorted(apart[person])) if apart.get(person) else (),
            break_glass=glass))
    return out


def _distinct(answers: list[LinkageDecision]) -> tuple[list[LinkageDecision], dict[int, int]]:
    """Answers numbered by what they say rather than by object (equal answers, one number)."""
    seen: dict[LinkageDecision, int] = {}
    number: dict[int, int] = {}
    for answer in answers:
        number[id(answer)] = seen.setdefault(answer, len(seen))
    if len(seen) > 62:
        raise RuntimeError(f"{len(seen)} distinct linkage answers in one run: more than an outcome mask holds")
    return list(seen), number
