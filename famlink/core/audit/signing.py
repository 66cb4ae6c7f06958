"""Signed tree heads: the log operator's public, dated promise about the log.

A tree head says "the log had ``size`` entries and this root at this time";
signing it with Ed25519 means the operator cannot later show a different
history without the two signed heads contradicting each other.

Keys live under the deployment's data directory, never in the repository
(``/data/`` and ``/.famlink/`` are git-ignored); the private key file is
created with mode 0600 on first use.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from famlink.core.audit.entry import canonical_json, utc_timestamp
from famlink.core.audit.merkle import HASH_SIZE
from famlink.core.errors import InvalidInput
from famlink.core.private_files import private_folder, write_private

TREE_HEAD_VERSION = 1
SIGNING_KEY_FILENAME = "audit-signing-key.pem"
PUBLIC_KEY_FILENAME = "audit-signing-key.pub.pem"


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The state of the log at one moment: size, root and UTC time."""

    size: int
    root_hash: bytes
    timestamp: str

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInput(f"tree size must be a whole number >= 0, not {self.size!r}")
        if len(self.root_hash) != HASH_SIZE:
            raise InvalidInput(f"a root hash is {HASH_SIZE} bytes, not {len(self.root_hash)}")
        object.__setattr__(self, "timestamp", utc_timestamp(self.timestamp))

    def to_dict(self) -> dict[str, Any]:
        return {
            "root_hash": self.root_hash.hex(),
            "size": self.size,
            "timestamp": self.timestamp,
            "version": TREE_HEAD_VERSION,
        }

    def to_bytes(self) -> bytes:
        """The exact bytes that are signed."""
        return canonical_json(self.to_dict())


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    head: TreeHead
    signature: bytes
    key_id: str  # hex SHA-256 of the raw 32-byte public key

    def to_json(self) -> str:
        """The published form (see docs/audit.md)."""
        return canonical_json(
            {
                "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode("ascii"),
                "tree_head": self.head.to_dict(),
            }
        ).decode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedTreeHead:
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise InvalidInput(f"signed tree head cannot be read: {error!r}") from None
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> SignedTreeHead:
        """The published form, already parsed; anything else is refused with a reason."""
        try:
            head = raw["tree_head"]
            if head.get("version") != TREE_HEAD_VERSION:
                raise InvalidInput(f"tree head version {head.get('version')!r} is not supported")
            return cls(
                head=TreeHead(
                    size=head["size"],
                    root_hash=bytes.fromhex(head["root_hash"]),
                    timestamp=head["timestamp"],
                ),
                signature=base64.b64decode(raw["signature"], validate=True),
                key_id=str(raw["key_id"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
            raise InvalidInput(f"signed tree head cannot be read: {error!r}") from None


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign_tree_head(head: TreeHead, private_key: Ed25519PrivateKey) -> SignedTreeHead:
    return SignedTreeHead(
        head=head,
        signature=private_key.sign(head.to_bytes()),
        key_id=key_id(private_key.public_key()),
    )


def verify_tree_head(signed: SignedTreeHead, public_key: Ed25519PublicKey) -> bool:
    """True only if the signature is by this key over exactly this head."""
    if signed.key_id != key_id(public_key):
        return False
    try:
        public_key.verify(signed.signature, signed.head.to_bytes())
    except InvalidSignature:
        return False
    return True


def new_tree_head(size: int, root_hash: bytes, at: datetime) -> TreeHead:
    return TreeHead(size=size, root_hash=root_hash, timestamp=utc_timestamp(at))


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InvalidInput("the audit signing key file does not exist", where=str(path)) from None
    except (ValueError, TypeError) as error:
        raise InvalidInput(f"not a readable PEM private key: {error}", where=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("the audit signing key must be an Ed25519 key", where=str(path))
    return key


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise InvalidInput("the audit public key file does not exist", where=str(path)) from None
    except (ValueError, TypeError) as error:
        raise InvalidInput(f"not a readable PEM public key: {error}", where=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("the audit public key must be an Ed25519 key", where=str(path))
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key(data_dir: Path | str) -> Ed25519PrivateKey:
    """The log's signing key under ``data_dir``, created (0600) on first use.

    The public key is written beside it so it can be published. Creation is
    atomic so two processes starting at once cannot end up with two keys.
    """
    directory = Path(data_dir)
    private_path = directory / SIGNING_KEY_FILENAME
    if private_path.exists():
        return load_private_key(private_path)
    private_folder(directory)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    if not write_private(private_path, pem):  # another process got there first: its key is the key
        return load_private_key(private_path)
    (directory / PUBLIC_KEY_FILENAME).write_bytes(public_key_pem(key.public_key()))
    return key
