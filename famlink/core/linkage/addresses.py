"""One key per home: how linkage tells that two records were made at the same address.

Households are built from stays at a key, and a safeguarding-sensitive
address is kept by its key, so a page asking "is this record at a refuge?"
must compute exactly the key linkage computed. Plain Python with no pandas:
web pages call it too, and a web worker never loads the linkage engine.
"""

from __future__ import annotations

import math
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORDS = re.compile(r"[^a-z0-9 ]+")
#: between the postcode and the address text in a key
KEY_SEPARATOR = "|"


def clean_text(value: object) -> str | None:
    """Lower case, punctuation to spaces, single spaces: for addresses and towns."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = _SPACES.sub(" ", _NOT_WORDS.sub(" ", text.lower())).strip()
    return text or None


def postcode_key(postcode: str) -> str:
    """A postcode without spaces, in capitals ("ls6 2ab" and "LS62AB" are one postcode)."""
    return postcode.replace(" ", "").upper()


def address_key(address: object, postcode: object) -> str | None:
    """The key of the home at ``address`` and ``postcode``; None without both (a postcode covers many homes)."""
    where = clean_text(address)
    if where is None or not postcode or not isinstance(postcode, str):
        return None
    return f"{postcode_key(postcode)}{KEY_SEPARATOR}{where}"


__all__ = ["KEY_SEPARATOR", "address_key", "clean_text", "postcode_key"]
