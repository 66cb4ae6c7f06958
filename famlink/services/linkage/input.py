"""What linkage reads: current records, through the one consent filter.

"Current" means the latest version of each record (no correction supersedes
it) from extracts whose load completed. Everything linkage reads passes
``linkage_filter()``: there is no other way in.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from famlink.adapters.storage.bulk import KEYS_AT_ONCE, chunks
from famlink.adapters.storage.sources.models import Extract, SourceRecord
from famlink.core.linkage.consent import LinkageInputFilter

FIELDS = ("id", "source__name", "local_id", "person_ref", "first_name", "middle_names", "surname",
          "full_name", "date_of_birth", "sex", "address", "postcode", "nhs_number", "upn",
          "event_date", "sensitive")
#: identifying fields: records equal on all of them are one "identity" to Splink
IDENTITY = ("source", "first_name", "middle_names", "surname", "full_name", "date_of_birth",
            "sex", "address", "postcode", "nhs_number", "upn")


def linkage_filter() -> LinkageInputFilter:
    """The filter every linkage run uses: the governance policy's ``LinkageGate``.

    It reads recorded opt-outs of linkage and child-protection break-glass
    records, puts each opted-out person to the policy's ``decide()`` and logs
    each decision. There is no other way to say who is left out: record the
    opt-out (``famlink optout PERSON --linkage``, or the parent portal).
    """
    from famlink.services.linkage.gate import LinkageGate

    return LinkageGate()


def current_records() -> pd.DataFrame:
    """Latest version of every record in a complete extract, one row each."""
    rows = (SourceRecord.objects
            .filter(extract__status=Extract.Status.COMPLETE, superseded_by__isnull=True)
            .order_by("id").values_list(*FIELDS))
    frame = pd.DataFrame.from_records(list(rows.iterator(chunk_size=20000)), columns=list(FIELDS))
    frame = frame.rename(columns={"source__name": "source"})
    return split_reversed_full_names(frame)


def changed_identity(versions: dict[int, int]) -> set[int]:
    """Of these old record ids (-> their new version), those whose new version has other
    identifying details: linkage must score it again rather than keep its person."""
    fields = ("source_id", *(name for name in IDENTITY if name != "source"))
    held: dict[int, tuple[object, ...]] = {}
    for chunk in chunks([*versions, *versions.values()], KEYS_AT_ONCE):
        held.update((row[0], row[1:]) for row in SourceRecord.objects.filter(pk__in=chunk).values_list("pk", *fields))
    return {old for old, new in versions.items() if held[old] != held[new]}


def split_reversed_full_names(frame: pd.DataFrame) -> pd.DataFrame:
    """"SMITH, John" in a full-name field is surname then first name (police style)."""
    if frame.empty:
        return frame
    full = frame["full_name"].fillna("")
    reversed_name = full.str.contains(",") & (frame["first_name"].fillna("") == "") \
        & (frame["surname"].fillna("") == "")
    parts = full[reversed_name].str.split(",", n=1)
    frame.loc[reversed_name, "surname"] = parts.str[0].str.strip()
    frame.loc[reversed_name, "first_name"] = parts.str[1].str.strip()
    frame.loc[reversed_name, "full_name"] = ""
    return frame


def identity_table(records: pd.DataFrame, keep_apart: Collection[int] = ()) -> tuple[pd.DataFrame, pd.Series]:
    """One row per distinct identity, and record id -> identity id.

    Agencies send the same person's details on many rows (one per event).
    Linking distinct identities instead of rows gives Splink the same answer
    for a fraction of the work, and keeps term frequencies about people, not
    about how often someone visits. Records named in a rejection
    (``keep_apart``) stay their own identity so the rejection can be applied.
    """
    fields = records[list(IDENTITY)].astype(object)
    fields = fields.where(fields.notna(), "").astype(str)
    key = fields.groupby(list(IDENTITY), sort=False).ngroup().to_numpy(copy=True)
    apart = records["id"].isin(set(keep_apart)).to_numpy()
    key[apart] = -1 - records["id"].to_numpy()[apart]  # each its own group
    identity = records.groupby(key, sort=False)["id"].transform("min").astype(str)
    table = records[records["id"].astype(str) == identity].copy()
    table["record_id"] = table["id"].astype(str)
    table["date_of_birth"] = table["date_of_birth"].map(lambda d: d.isoformat() if d else None)
    columns = ["record_id", "source", "first_name", "middle_names", "surname", "full_name",
               "date_of_birth", "sex", "address", "postcode", "nhs_number", "upn"]
    table = table[columns].astype(object)
    table = table.where(table.notna() & (table != ""), None)
    return table.reset_index(drop=True), pd.Series(identity.values, index=records["id"].values)
