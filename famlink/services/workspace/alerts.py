"""Alerts: something new about a family on a member of staff's caseload, until they acknowledge it.

Raised by the services where things happen (ingest, the data team's
decisions, the family's statements and disputes; sharing decisions and
child-protection access call ``raise_alert``) for every member of staff
with an open allocation to the family (``adapters.storage.workspace.alerting``).
A summary says what happened and where from, never what a record says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.models import StaffActor
from famlink.adapters.storage.sources.models import SourceRecord
from famlink.adapters.storage.workspace.alerting import Happening, raise_alerts
from famlink.adapters.storage.workspace.models import Alert
from famlink.core.digits import ascii_number
from famlink.core.errors import Conflict, InvalidInput, NotFound
from famlink.core.policy import Actor

Kind = Alert.Kind
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class AlertRow:
    """An alert as its member of staff sees it: the person by public id, what happened, and whether they have seen it."""

    id: int
    person_id: str
    kind: str
    summary: str
    created_at: datetime
    acknowledged_at: datetime | None
    note: str


def raise_alert(person: Person, kind: Alert.Kind | str, summary: str, record: SourceRecord | None = None, *,
                by: Actor | None = None) -> int:
    """Alert everyone with an open allocation to ``person``'s family; ``by`` (who did it) is not alerted. How many were."""
    if kind not in Kind.values:
        raise InvalidInput(f"{kind} is not a kind of alert.", where="kind")
    mover = StaffActor.objects.filter(user__username=by.id).values_list("pk", flat=True).first() if by else None
    return raise_alerts([Happening(person.pk, str(kind), summary, record.pk if record else None)], except_staff=mover)


def alerts_for(actor: Actor, *, limit: int = 200) -> list[AlertRow]:
    """This member of staff's alerts: not yet acknowledged first, newest first within each."""
    rows = (Alert.objects.filter(staff__user__username=actor.id).select_related("person")
            .order_by("-acknowledged_at", "-created_at", "-pk"))
    unread = list(rows.filter(acknowledged_at__isnull=True).order_by("-created_at", "-pk")[:limit])
    read = list(rows.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-pk")[:max(0, limit - len(unread))])
    return [AlertRow(a.pk, a.person.public_id, a.get_kind_display(), a.summary, a.created_at, a.acknowledged_at,
                     a.acknowledged_note) for a in (*unread, *read)]


def unacknowledged(actor: Actor) -> int:
    return Alert.objects.filter(staff__user__username=actor.id, acknowledged_at__isnull=True).count()


def acknowledge(actor: Actor, alert_id: int | str, note: str = "") -> AlertRow:
    """Mark an alert seen, with an optional note of what was done. Only its own member of staff may.

    The id comes from a URL: anything but one of this member of staff's own
    alerts is ``NotFound``, the same answer whether it exists or not.
    """
    number = ascii_number(str(alert_id)) if not isinstance(alert_id, int) else alert_id
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(f"Keep the note under {NOTE_LIMIT:,} characters.", where="note")
    if "\x00" in note:
        raise InvalidInput("The note has a character that cannot be kept; type it again.", where="note")
    with transaction.atomic():
        alert = (Alert.objects.select_for_update().filter(pk=number, staff__user__username=actor.id).first()
                 if number is not None and number < 2**63 else None)
        if alert is None:
            raise NotFound("There is no such alert.")
        if alert.acknowledged_at is not None:
            raise Conflict("This alert was acknowledged already.")
        alert.acknowledged_at, alert.acknowledged_note = timezone.now(), note
        alert.save(update_fields=["acknowledged_at", "acknowledged_note"])
    return AlertRow(alert.pk, alert.person.public_id, alert.get_kind_display(), alert.summary, alert.created_at,
                    alert.acknowledged_at, alert.acknowledged_note)
