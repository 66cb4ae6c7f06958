"""``/api/persons/<id>/records``: a read whose audit entry cannot be confirmed shows nothing."""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from django.test import Client

from famlink.core.consent import ConsentLevel
from famlink.core.taxonomy import Purpose
from tests.common import builders
from tests.common.builders import give_consent
from tests.common.database import postgres_only

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def test_when_the_audit_writer_goes_away_with_the_entry_the_records_are_not_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = Path(tempfile.mkdtemp(prefix="fl-", dir="/tmp")) / "w.sock"
    monkeypatch.setenv("FAMLINK_AUDIT_WRITER_SOCKET", str(path))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def take_and_vanish() -> None:  # a writer that dies between reading the entry and answering
        peer, _ = listener.accept()
        peer.recv(1 << 16)
        peer.close()

    vanishing = threading.Thread(target=take_and_vanish)
    vanishing.start()
    fam = builders.family("Alpha", builders.source())
    give_consent(fam.child, ConsentLevel.ACROSS_SERVICES, Purpose.DIRECT_SERVICE_DELIVERY)
    client = Client()
    client.force_login(builders.staff(name="prac").user)
    try:
        answer = client.get(f"/api/persons/{fam.child.public_id}/records",
                            {"purpose": Purpose.DIRECT_SERVICE_DELIVERY.value})
    finally:
        vanishing.join(10)
        listener.close()
        path.unlink()
        path.parent.rmdir()
    assert answer.status_code == 503
    body = json.loads(answer.content)
    assert body["detail"] == "The audit log did not confirm this access, so nothing was shown. Please try again."
    assert answer["Content-Type"] == "application/problem+json" and body["status"] == 503
    assert "note about Child Alpha" not in answer.content.decode()
