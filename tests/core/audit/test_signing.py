from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from famlink.core.audit import (
    EMPTY_ROOT,
    SignedTreeHead,
    TreeHead,
    load_private_key,
    load_public_key,
    new_tree_head,
    sign_tree_head,
    signing_key,
    verify_tree_head,
)
from famlink.core.audit.signing import PUBLIC_KEY_FILENAME, SIGNING_KEY_FILENAME
from famlink.core.errors import InvalidInput

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_sign_and_verify_round_trip_through_json() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_tree_head(new_tree_head(10, b"\x01" * 32, AT), key)
    assert verify_tree_head(signed, key.public_key())
    again = SignedTreeHead.from_json(signed.to_json())
    assert again == signed and verify_tree_head(again, key.public_key())
    assert signed.head.to_bytes() == (
        b'{"root_hash":"' + b"01" * 32 + b'","size":10,'
        b'"timestamp":"2026-03-01T12:00:00.000000Z","version":1}'
    )


def test_any_change_to_a_head_breaks_its_signature() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_tree_head(new_tree_head(10, EMPTY_ROOT, AT), key)
    for head in (
        TreeHead(11, EMPTY_ROOT, signed.head.timestamp),
        TreeHead(10, b"\x00" * 32, signed.head.timestamp),
        TreeHead(10, EMPTY_ROOT, "2026-03-01T12:00:01Z"),
    ):
        assert not verify_tree_head(
            SignedTreeHead(head, signed.signature, signed.key_id), key.public_key()
        )
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_tree_head(signed, other)
    flipped = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    assert not verify_tree_head(
        SignedTreeHead(signed.head, flipped, signed.key_id), key.public_key()
    )


def test_key_is_created_once_private_and_reloadable(tmp_path: Path) -> None:
    data_dir = tmp_path / "data" / "audit"
    key = signing_key(data_dir)
    private = data_dir / SIGNING_KEY_FILENAME
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert (
        signing_key(data_dir).public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    )
    assert (
        load_private_key(private).public_key().public_bytes_raw()
        == key.public_key().public_bytes_raw()
    )
    public = load_public_key(data_dir / PUBLIC_KEY_FILENAME)
    assert public.public_bytes_raw() == key.public_key().public_bytes_raw()
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_bad_key_files_explain_themselves(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        load_private_key(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(InvalidInput, match="PEM"):
        load_private_key(junk)
    with pytest.raises(InvalidInput, match="PEM"):
        load_public_key(junk)


def test_bad_heads_are_refused() -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        TreeHead(1, b"x", "2026-01-01T00:00:00Z")
    with pytest.raises(InvalidInput, match="size"):
        TreeHead(-1, EMPTY_ROOT, "2026-01-01T00:00:00Z")
    with pytest.raises(InvalidInput, match="cannot be read"):
        SignedTreeHead.from_json('{"tree_head": {"version": 1}}')
