"""Households from where linked people lived, and when (a heuristic, stated plainly).

Agencies rarely record "this is her son"; they record who lives where. So:

1. A **stay** is a person at one address (postcode + cleaned address text)
   from their first to their last record there. Records with only a postcode
   are not used: a postcode covers many homes.
2. Two people **lived together** when their stays at one address overlap,
   allowing a year either side (records are sparse events, not a census).
3. Adults (18 or over at the start of the stay) who lived together form one
   household (union of such pairs); an adult who lived with no other adult
   heads a household alone. Children join the household of each adult they
   lived with, with the dates and address of that stay: a child whose
   parents separated is in two households, and history is kept.
4. ``parent_of`` (with parental responsibility) is recorded for an adult who
   lived with a child, is at least 12 years older, and shares a surname with
   the child on any record. ``partner_of`` for adults who lived together and
   are less than 15 years apart in age. Step-parents with another surname and
   parents recorded as such by an agency are not found yet.
5. An address is **sensitive** over a period when a record there was marked
   sensitive (e.g. a refuge tenancy): the period runs from the first to the
   last day of every stay there that overlaps a marked stay (the same year's
   slack), and it protects everyone with such a stay: the mother and the
   children who lived there, never the parent who did not (a marked record
   without a date marks every stay there). Overlapping periods at one
   address are one. Stored as ``SensitiveAddress``; every
   membership and record at that address in that period is then sensitive,
   whoever it is about (``governance.sensitive`` reads it).

Household ids carry over between runs by shared adult members (as persons do).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from famlink.adapters.storage.bulk import insert_rows as _insert
from famlink.adapters.storage.bulk import iso_days
from famlink.adapters.storage.family.models import (
    Household,
    HouseholdMembership,
    Relationship,
    SensitiveAddress,
    new_household_id,
)
from famlink.adapters.storage.linkage.models import LinkageRun, RecordAssignment
from famlink.core.linkage.addresses import address_key
from famlink.core.linkage.continuity import carry_over
from famlink.core.linkage.normalise import clean_name
from famlink.core.people import adults_on

SLACK = timedelta(days=365)
PARENT_GAP_YEARS = 12
PARTNER_GAP_YEARS = 15
EVIDENCE = "linkage: "
#: what households are built from: one row per assigned record
LIVED = ("person_id", "postcode", "address", "event_date", "date_of_birth", "surname", "full_name", "sensitive")


def _years(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a).dt.days / 365.25


def _cleaned(values: pd.Series, clean: Any) -> pd.Series:
    """``clean`` applied once per distinct value: addresses and surnames repeat a lot."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(clean, distinct), strict=True)))


def rebuild_households(run: LinkageRun, lived: pd.DataFrame | None = None) -> dict[str, int]:
    """Replace households, memberships and linkage-found relationships from ``run``.

    ``lived`` has the ``LIVED`` columns for each record the run assigned (in
    record order); read from the database when not given. Set-based (pandas)
    throughout: a Python loop per record and per pair of people at an address
    took longer than the linkage it follows.
    """
    if lived is None:
        rows = RecordAssignment.objects.filter(run=run).order_by("record_id").values_list(
            "person_id", "record__postcode", "record__address", "record__event_date",
            "record__date_of_birth", "record__surname", "record__full_name", "record__sensitive")
        lived = pd.DataFrame.from_records(list(rows.iterator(chunk_size=20000)), columns=list(LIVED))
    lived = lived.reset_index(drop=True)
    dob = _birth_dates(lived)
    stays = _stays(lived)
    born = stays["person_id"].map(dob)
    stays["adult"] = adults_on(born, stays["from"])
    adult_pairs, child_links = _lived_together(stays)

    adults = stays.loc[stays["adult"], "person_id"].unique()
    group_of = _groups(adults, zip(adult_pairs["a"], adult_pairs["b"], strict=True))
    household_of_group = _household_ids(group_of)
    household = pd.Series({p: household_of_group[g] for p, g in group_of.items()}, dtype="int64")

    grown_stays = stays[stays["person_id"].isin(household.index)]
    as_adult = pd.DataFrame({"household_id": grown_stays["person_id"].map(household).to_numpy(),
                             "stay": grown_stays.index, "role": "adult"})
    as_child = pd.DataFrame({"household_id": child_links["grown"].map(household).to_numpy(),
                             "stay": child_links["child_stay"].to_numpy(), "role": "child"})
    members = pd.concat([as_adult, as_child], ignore_index=True).join(stays, on="stay")
    members = members.drop_duplicates(["household_id", "person_id", "from"])

    parents = child_links.assign(
        grown_born=child_links["grown"].map(dob), child_born=child_links["child"].map(dob))
    parents = parents[(_years(parents["grown_born"], parents["child_born"]) >= PARENT_GAP_YEARS)
                      & _share_surname(lived, parents["grown"], parents["child"])]
    parents = parents.drop_duplicates(["grown", "child"])
    partners = adult_pairs.assign(a_born=adult_pairs["a"].map(dob), b_born=adult_pairs["b"].map(dob))
    partners = partners[_years(partners["a_born"], partners["b_born"]).abs() < PARTNER_GAP_YEARS]
    partners = pd.DataFrame({"low": partners[["a", "b"]].min(axis=1), "high": partners[["a", "b"]].max(axis=1)})
    partners = partners.drop_duplicates()

    HouseholdMembership.objects.all().delete()
    Relationship.objects.filter(evidence__startswith=EVIDENCE).delete()
    _insert(HouseholdMembership, ("household", "person", "role", "address", "postcode", "from_date", "to_date"),
            zip(members["household_id"].tolist(), members["person_id"].tolist(), members["role"].tolist(),
                members["address"].str.slice(0, 300).tolist(), members["postcode"].tolist(),
                iso_days(members["from"]), iso_days(members["to"]), strict=True))
    periods, residents = _sensitive_addresses(stays)
    _store_sensitive_addresses(periods, residents)
    relationship = ("from_person", "to_person", "kind", "parental_responsibility", "from_date", "to_date",
                    "evidence")
    _insert(Relationship, relationship, zip(
        parents["grown"].tolist(), parents["child"].tolist(), ["parent_of"] * len(parents),
        [True] * len(parents), iso_days(parents["child_stay"].map(stays["from"])),
        [None] * len(parents), [f"{EVIDENCE}lived with the child and shares a surname"] * len(parents),
        strict=True))
    _insert(Relationship, relationship, zip(
        partners["low"].tolist(), partners["high"].tolist(), ["partner_of"] * len(partners),
        [False] * len(partners), [None] * len(partners), [None] * len(partners),
        [f"{EVIDENCE}adults who lived at the same address at the same time"] * len(partners), strict=True))
    return {"households": len(set(household_of_group.values())),
            "household_memberships": len(members),
            "parent_of": len(parents), "partner_of": len(partners),
            "sensitive_addresses": len(periods),
            "sensitive_memberships": int(members["stay"].isin(residents["stay"]).sum())}


def _birth_dates(lived: pd.DataFrame) -> pd.Series:
    """Person -> the date of birth most of their records give (the first given, on a tie)."""
    given = lived.loc[lived["date_of_birth"].notna() & lived["date_of_birth"].astype(bool),
                      ["person_id", "date_of_birth"]]
    counted = (given.reset_index().groupby(["person_id", "date_of_birth"], sort=False)
               .agg(n=("index", "size"), first=("index", "min")).reset_index())
    best = counted.sort_values(["person_id", "n", "first"], ascending=[True, False, True])
    best = best.drop_duplicates("person_id")
    return pd.Series(pd.to_datetime(best["date_of_birth"]).to_numpy(), index=best["person_id"].to_numpy())


def _address_keys(lived: pd.DataFrame) -> pd.Series:
    """Each record's home (``addresses.address_key``), worked out once per distinct address and postcode."""
    address, addresses = pd.factorize(lived["address"].fillna(""))
    postcode, postcodes = pd.factorize(lived["postcode"].fillna(""))
    codes, pairs = pd.factorize(address.astype(np.int64) * len(postcodes) + postcode)
    keys = np.array([address_key(addresses[p // len(postcodes)], postcodes[p % len(postcodes)]) for p in pairs],
                    dtype=object)
    return pd.Series(keys[codes], index=lived.index)


def _stays(lived: pd.DataFrame) -> pd.DataFrame:
    """One row per person at an address, in order of first record: from, to, sensitive, address, postcode.

    A stay is ``sensitive`` when a record in it was marked, or when a marked
    record at that address has no date (it could be from any time there).
    """
    keys = _address_keys(lived)
    dated = lived["event_date"].notna() & lived["event_date"].astype(bool)
    usable = keys.notna() & dated
    at = lived[usable].assign(when=pd.to_datetime(lived.loc[usable, "event_date"]), key=keys[usable])
    stays = at.groupby(["person_id", "key"], sort=False).agg(
        **{"from": ("when", "min"), "to": ("when", "max"), "sensitive": ("sensitive", "any"),
           "address": ("address", "first"), "postcode": ("postcode", "first")}).reset_index()
    undated_marks = set(keys[keys.notna() & ~dated & lived["sensitive"].fillna(False).astype(bool)])
    stays["sensitive"] = stays["sensitive"].astype(bool) | stays["key"].isin(undated_marks)
    return stays


def _chained(key: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """A group number per row: rows at one key whose spans overlap, directly or through others, share one.

    Rows must be sorted by key, then start.
    """
    reach = end.groupby(key, sort=False).cummax().groupby(key, sort=False).shift()
    return (key.ne(key.shift()) | (start > reach)).cumsum()


def _sensitive_addresses(stays: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sensitive periods (``key``, ``start``, ``end``, ``address``, ``postcode``) and their residents.

    A marked stay opens a window a year either side; the residents are the
    stays at that address overlapping the window, and the period runs over
    all of them. ``residents`` has ``period``, ``stay`` and ``person_id``.
    """
    seeds = stays.loc[stays["sensitive"], ["key", "from", "to"]].sort_values(["key", "from"], kind="stable")
    seeds = seeds.assign(lo=seeds["from"] - SLACK, hi=seeds["to"] + SLACK)
    seeds["window"] = _chained(seeds["key"], seeds["lo"], seeds["hi"])
    windows = seeds.groupby("window").agg(key=("key", "first"), lo=("lo", "min"), hi=("hi", "max")).reset_index()
    at = stays.reset_index(names="stay").merge(windows, on="key")
    at = at[(at["from"] <= at["hi"]) & (at["to"] >= at["lo"])]
    spans = (at.groupby("window").agg(key=("key", "first"), start=("from", "min"), end=("to", "max"))
             .sort_values(["key", "start"], kind="stable"))
    spans["period"] = _chained(spans["key"], spans["start"], spans["end"])  # windows whose residents overlap: one
    at = at.assign(period=at["window"].map(spans["period"]))
    marked = at[at["sensitive"]].sort_values("stay").drop_duplicates("period").set_index("period")
    periods = spans.groupby("period").agg(key=("key", "first"), start=("start", "min"), end=("end", "max"))
    periods = periods.join(marked[["address", "postcode"]])
    residents = at[["period", "stay", "person_id"]].drop_duplicates(["period", "stay"])
    return periods, residents


def _store_sensitive_addresses(periods: pd.DataFrame, residents: pd.DataFrame) -> None:
    """Replace every ``SensitiveAddress`` with ``periods``, each protecting its residents.

    Through the ORM: a council has a few refuges, so there are tens of these, not millions.
    """
    SensitiveAddress.objects.all().delete()  # its ties to the people it protects go with it
    made = SensitiveAddress.objects.bulk_create(
        SensitiveAddress(key=key, address=str(address)[:300], postcode=postcode, from_date=start.date(),
                         to_date=end.date())
        for key, address, postcode, start, end in zip(
            periods["key"], periods["address"], periods["postcode"], periods["start"], periods["end"], strict=True))
    pk_of = dict(zip(periods.index.tolist(), (m.pk for m in made), strict=True))
    protects = residents.drop_duplicates(["period", "person_id"])
    SensitiveAddress.protects.through.objects.bulk_create(
        SensitiveAddress.protects.through(sensitiveaddress_id=pk_of[period], person_id=int(person))
        for period, person in zip(protects["period"], protects["person_id"], strict=True))


def _lived_together(stays: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs of stays at one address overlapping (a year's slack either side).

    Returns adult pairs (``a``, ``b``, persons) and child links (``grown``,
    ``child``, ``child_stay``), in the order a loop over addresses (by first
    record) and people (by first record there) would find them.
    """
    keyed = stays[["key", "person_id", "from", "to", "adult"]].reset_index(names="stay")
    pairs = keyed.merge(keyed, on="key", suffixes=("_a", "_b"))
    pairs = pairs[(pairs["stay_a"] < pairs["stay_b"])
                  & ~((pairs["from_a"] - SLACK > pairs["to_b"]) | (pairs["from_b"] - SLACK > pairs["to_a"]))]
    address_order = keyed.groupby("key", sort=False)["stay"].min()
    pairs = pairs.assign(address=pairs["key"].map(address_order)).sort_values(["address", "stay_a", "stay_b"])
    both = pairs["adult_a"] & pairs["adult_b"]
    adult_pairs = pd.DataFrame({"a": pairs.loc[both, "person_id_a"], "b": pairs.loc[both, "person_id_b"]})
    one = pairs[pairs["adult_a"] != pairs["adult_b"]]
    a_grown = one["adult_a"]
    child_links = pd.DataFrame({
        "grown": np.where(a_grown, one["person_id_a"], one["person_id_b"]),
        "child": np.where(a_grown, one["person_id_b"], one["person_id_a"]),
        "child_stay": np.where(a_grown, one["stay_b"], one["stay_a"])})
    return adult_pairs.reset_index(drop=True), child_links


def _groups(adults: Iterable[int], pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Adult -> lowest adult they are joined to through living together (union-find)."""
    parent = {int(p): int(p) for p in adults}

    def find(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {p: find(p) for p in parent}


def _share_surname(lived: pd.DataFrame, grown: pd.Series, child: pd.Series) -> pd.Series:
    """Whether each (grown, child) pair share a surname on any of their records."""
    name = _cleaned(lived["surname"], clean_name)
    missing = name.isna()  # only records without a surname need it from "SURNAME, Forenames"
    from_full = _cleaned(lived.loc[missing, "full_name"].fillna("").str.split(",").str[0], clean_name)
    names = pd.DataFrame({"person_id": lived["person_id"], "name": name.fillna(from_full)}).dropna()
    names = names.drop_duplicates()
    pairs = pd.DataFrame({"grown": grown.to_numpy(), "child": child.to_numpy()}, index=grown.index)
    shared = (pairs.reset_index().merge(names.rename(columns={"person_id": "grown"}), on="grown")
              .merge(names.rename(columns={"person_id": "child"}), on=["child", "name"]))
    return pd.Series(pairs.index.isin(shared["index"]), index=pairs.index)


def _household_ids(group_of: dict[int, int]) -> dict[int, int]:
    """Adult group -> Household pk, keeping the old household where its adults continue."""
    previous = dict(HouseholdMembership.objects.filter(role="adult")
                    .order_by("from_date").values_list("person_id", "household_id"))
    continuity = carry_over(previous, group_of)
    out: dict[int, int] = {g: h for g, h in continuity.person_of_cluster.items() if h is not None}
    new_groups = [g for g, h in continuity.person_of_cluster.items() if h is None]
    public_ids = [new_household_id() for _ in new_groups]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    newer_than = Household.objects.aggregate(last=Max("id"))["last"] or 0
    _insert(Household, ("public_id", "created_at"), ((p, at) for p in public_ids))
    pk_of = dict(Household.objects.filter(id__gt=newer_than).values_list("public_id", "id"))
    out.update({g: pk_of[p] for g, p in zip(new_groups, public_ids, strict=True)})
    return out
