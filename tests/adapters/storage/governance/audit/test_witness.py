"""Signed tree heads saved elsewhere: read from a file or a URL, in any of the forms famlink publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from famlink.adapters.storage.governance.audit.append import append_many
from famlink.adapters.storage.governance.audit.witness import saved_heads
from famlink.core.errors import InvalidInput
from famlink.services.governance.audit.publication import publish
from tests.common.builders import facts
from tests.common.witness_server import closed_port_url, witness

pytestmark = pytest.mark.django_db


def log(n: int) -> None:
    append_many([facts(i) for i in range(n)])


def test_saved_heads_are_read_from_a_file_or_a_url(tmp_path: Path) -> None:
    log(3)
    signed = publish().signed
    forms = {
        "the register": json.dumps({"register": "audit-log", "tree_heads": [json.loads(signed.to_json())]}),
        "one head": signed.to_json(),
        "lines": signed.to_json() + "\n" + signed.to_json() + "\n",
    }
    for name, text in forms.items():
        saved = tmp_path / f"{name}.json"
        saved.write_text(text)
        assert {head.signed for head in saved_heads(str(saved))} == {signed}
    with witness() as server:
        server.body = forms["the register"].encode()
        assert [head.signed for head in saved_heads(server.url + "/x.json")] == [signed]
        with pytest.raises(InvalidInput, match="404"):
            server.body = b""
            saved_heads(server.url + "/x.json")
    with pytest.raises(InvalidInput, match="nothing"):
        saved_heads(closed_port_url())
