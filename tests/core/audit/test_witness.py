"""Saved copies of signed tree heads, in any form the log hands them out, or a clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from famlink.core.audit import EMPTY_ROOT, new_tree_head, sign_tree_head
from famlink.core.audit.witness import heads_in_text
from famlink.core.errors import InvalidInput

KEY = Ed25519PrivateKey.generate()
HEADS = [sign_tree_head(new_tree_head(size, EMPTY_ROOT, datetime(2026, 1, size + 1, tzinfo=UTC)), KEY) for size in (1, 2)]


def test_the_published_page_one_head_or_lines() -> None:
    page = json.dumps({"register": "audit-log", "public_key_pem": None, "tree_heads": [json.loads(h.to_json()) for h in HEADS]})
    found = heads_in_text(page, "my copy")
    assert [h.signed for h in found] == HEADS and found[1].where == "my copy, tree head 2"
    assert [h.signed for h in heads_in_text(HEADS[0].to_json(), "x")] == HEADS[:1]
    lines = heads_in_text("\n".join(h.to_json() for h in HEADS) + "\n", "the witness file w")
    assert [h.signed for h in lines] == HEADS and lines[1].where == "the witness file w, line 2"


@pytest.mark.parametrize(("text", "said"), [
    ("", "no signed tree head"),
    ('{"register": "audit-log", "tree_heads": []}', "no signed tree head"),
    ("[1, 2]", "tree head 1"),
    (HEADS[0].to_json() + "\n{oops\n", "line 2"),
])
def test_what_is_not_a_saved_head_is_named(text: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said) as raised:
        heads_in_text(text, "the file f.json")
    assert "f.json" in str(raised.value)


@given(st.text())
def test_any_text_is_heads_or_a_clear_refusal(text: str) -> None:
    try:
        heads_in_text(text, "the file f.json")
    except InvalidInput as error:
        assert "f.json" in str(error)
