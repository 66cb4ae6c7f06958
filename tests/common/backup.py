"""A database worth backing up, and what it holds, to compare before and after a restore."""

from __future__ import annotations

from typing import Any

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.actors import staff_actor
from famlink.adapters.storage.governance.models import (
    AuditLogEntry,
    ConsentEvent,
    PublishedTreeHead,
)
from famlink.adapters.storage.sources.models import Source, SourceRecord
from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.audit.publication import publish
from tests.common import builders


def read_records(fam: builders.Family) -> None:
    with door.open(staff_actor(builders.staff()), Purpose.DIRECT_SERVICE_DELIVERY, fam.child, [DataCategory.HEALTH],
                   sources=Source.objects.all()):
        pass


def populated() -> builders.Family:
    """A family with records and a consent, read once, under a signed tree head."""
    fam = builders.family("b")
    builders.give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    read_records(fam)
    publish()
    return fam


def holdings() -> dict[str, Any]:
    """What the database holds, to compare before and after."""
    return {
        "people": sorted(Person.objects.values_list("public_id", "display_name")),
        "records": sorted(SourceRecord.objects.values_list("local_id", "note")),
        "consent events": sorted((str(r), s, i) for r, s, i in ConsentEvent.objects.values_list("receipt_id", "state", "audit_index")),
        "audit log": [(i, bytes(h)) for i, h in AuditLogEntry.objects.order_by("index").values_list("index", "leaf_hash")],
        "tree heads": list(PublishedTreeHead.objects.order_by("id").values_list("signed_json", flat=True)),
    }
