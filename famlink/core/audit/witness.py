"""Signed tree heads kept outside the log's database, and where each copy was kept.

A log checked only against the heads stored beside it can be cut or
rewritten along with them. Copies kept elsewhere (famlink's witness file,
witness servers, anyone's saved copy of ``/transparency/audit-log.json``)
cannot be reached by whoever changes the database, so ``verify_log`` checks
the log against them too and, when one fails, says which copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from famlink.core.audit.signing import SignedTreeHead
from famlink.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class WitnessedHead:
    """A signed tree head and, in words, where this copy of it was kept (for messages)."""

    signed: SignedTreeHead
    where: str


def _head(raw: Any, where: str) -> WitnessedHead:
    try:
        return WitnessedHead(SignedTreeHead.from_dict(raw), where)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: not a signed tree head ({error.message})") from None


def heads_in_text(text: str, source: str) -> list[WitnessedHead]:
    """Every signed head in a saved copy, in any form famlink hands heads out.

    Accepted: the published register (``{"tree_heads": [...]}``, as served at
    ``/transparency/audit-log.json``), one signed head, a JSON list of them,
    or JSON lines (the witness file). ``source`` names the copy in messages
    ("the witness file /srv/heads.jsonl"); anything else is refused naming it.
    """
    try:
        whole: Any = json.loads(text)
    except (ValueError, RecursionError):
        lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if not lines:
            raise InvalidInput(f"{source} holds no signed tree head") from None
        if len(lines) == 1:
            raise InvalidInput(f"{source} is not JSON, nor JSON lines of signed tree heads") from None
        heads = []
        for number, line in lines:
            try:
                raw = json.loads(line)
            except (ValueError, RecursionError):
                raise InvalidInput(f"{source}, line {number}: not JSON") from None
            heads.append(_head(raw, f"{source}, line {number}"))
        return heads
    if isinstance(whole, dict) and "tree_heads" in whole:
        whole = whole["tree_heads"]
    if isinstance(whole, list):
        if not whole:
            raise InvalidInput(f"{source} holds no signed tree head")
        return [_head(raw, f"{source}, tree head {number}") for number, raw in enumerate(whole, start=1)]
    if isinstance(whole, dict):
        return [_head(whole, source)]
    raise InvalidInput(f"{source} holds no signed tree head")
