"""What a grant may show of a person's records and addresses, with safeguarding-sensitive ones held back.

The one place every view takes them from: the portal pages and downloads
(``rights.disclosure``) and the API (``api.records``) call these functions,
and a view added later must too, rather than reading ``linked_records`` or
``memberships`` and showing them.

Two marks can make an item sensitive, and each is one question to the policy
door (``Grant.sensitive_visible``, so ``decide()`` answers and the answer is
audited):

- the record's own ``sensitive`` flag: the agency marked this record, and
  the mark protects its subject, so only they see it;
- a sensitive address (``family.SensitiveAddress``, found by linkage): the
  item's address is one, and its date falls in the period, so the mark
  protects the people who lived there then, whoever the item is about. A
  child's GP registration at the refuge is shown to the mother who lived
  there with the child, never to the father they left, though he may see
  the child's other records.

An item without a date at a sensitive address counts as in the period: the
safer side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from famlink.adapters.storage.family.models import Person, SensitiveAddress
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.core.linkage.addresses import address_key
from famlink.core.taxonomy import DataCategory, RecordCategory
from famlink.services.governance.door import Grant


@dataclass(frozen=True)
class _Period:
    start: date
    end: date
    protects: frozenset[str]


class SensitivePlaces:
    """The sensitive address periods at a set of homes, read in two queries."""

    def __init__(self, keys: Iterable[str | None]) -> None:
        wanted = {k for k in keys if k}
        self._periods: dict[str, list[_Period]] = defaultdict(list)
        if not wanted:
            return
        rows = list(SensitiveAddress.objects.filter(key__in=wanted).values_list("pk", "key", "from_date", "to_date"))
        protects: dict[int, set[str]] = defaultdict(set)
        for period, public_id in SensitiveAddress.protects.through.objects.filter(
                sensitiveaddress_id__in=[r[0] for r in rows]).values_list("sensitiveaddress_id", "person__public_id"):
            protects[period].add(public_id)
        for pk, key, start, end in rows:
            self._periods[key].append(_Period(start, end, frozenset(protects[pk])))

    def covering(self, address: str, postcode: str, start: date | None, end: date | None) -> list[frozenset[str]]:
        """Whom each period covering this home and these dates protects (empty: not a sensitive address)."""
        key = address_key(address, postcode)
        periods = self._periods.get(key, []) if key else []
        return [p.protects for p in periods
                if (start is None or start <= p.end) and (end is None or end >= p.start)]


def _shown(grant: Grant, categories: tuple[DataCategory, ...], marked: bool, covering: list[frozenset[str]]) -> bool:
    if marked and not grant.sensitive_visible(categories):
        return False
    return all(grant.sensitive_visible(categories, protects) for protects in covering)


def category_of(record: SourceRecord) -> DataCategory:
    return DataCategory.for_record_category(RecordCategory(record.category))


def shown_records(grant: Grant, records: Iterable[SourceRecord]) -> list[SourceRecord]:
    """``records`` (with ``address``, ``postcode``, ``event_date``, ``sensitive`` loaded) this grant may show."""
    records = list(records)
    places = SensitivePlaces(address_key(r.address, r.postcode) for r in records)
    return [r for r in records
            if _shown(grant, (category_of(r),), r.sensitive,
                      places.covering(r.address, r.postcode, r.event_date, r.event_date))]


@dataclass(frozen=True)
class AddressLine:
    """One line of a person's address history: where they lived, when, and in which household."""

    address: str
    postcode: str
    household: str
    from_date: date | None
    to_date: date | None
    sensitive: bool  # a safe address: shown only because it protects the person looking

    def as_dict(self) -> dict[str, str | bool | None]:
        return {"address": self.address, "postcode": self.postcode, "household": self.household,
                "from": self.from_date.isoformat() if self.from_date else None,
                "to": self.to_date.isoformat() if self.to_date else None, "safe_address": self.sensitive}


def shown_addresses(grant: Grant, person: Person) -> list[AddressLine]:
    """``person``'s address history, oldest first, without the lines this grant may not show."""
    lines = list(person.memberships.select_related("household").order_by("from_date", "pk"))
    places = SensitivePlaces(address_key(m.address, m.postcode) for m in lines)
    out = []
    for m in lines:
        covering = places.covering(m.address, m.postcode, m.from_date, m.to_date)
        if _shown(grant, (DataCategory.CONTACT,), False, covering):
            out.append(AddressLine(m.address, m.postcode, m.household.public_id, m.from_date, m.to_date,
                                   bool(covering)))
    return out


__all__ = ["AddressLine", "SensitivePlaces", "category_of", "shown_addresses", "shown_records"]
