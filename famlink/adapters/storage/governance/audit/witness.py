"""Signed tree heads kept outside the database: the witness file, witness URLs, saved copies.

Whoever can change the database can cut the log's tail and delete the heads
that cover it; ``verify`` would then pass against the heads left. So every
head ``publish`` signs is also appended to a witness file outside the
database (``FAMLINK_AUDIT_WITNESS_FILE``: JSON lines, append-only, readable
by famlink's user only) and POSTed to any witness servers configured
(``FAMLINK_AUDIT_WITNESS_URLS``). ``verify`` checks the log against the
witness file, and against any saved copy it is given (a file or a URL).
"""

from __future__ import annotations

import fcntl
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from famlink import config
from famlink.core.audit import SignedTreeHead, WitnessedHead, heads_in_text
from famlink.core.errors import InvalidInput
from famlink.core.private_files import private_file, private_folder

#: The most a saved copy fetched from a URL may hold (the public page at years of hourly heads is ~10 MB).
MOST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WitnessReport:
    """What one witness URL made of a signed head: taken, or why not."""

    url: str
    ok: bool
    problem: str | None = None


def witness_file() -> Path:
    return config.audit_witness_file()


def keep(signed: SignedTreeHead) -> Path:
    """Append the signed head to the witness file, as one JSON line, flushed to disk."""
    path = witness_file()
    try:
        private_folder(path.parent)
        private_file(path)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # two publishes at once write whole lines
            os.write(descriptor, signed.to_json().encode("utf-8") + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise InvalidInput(
            f"the signed tree head was published, but could not be kept in the witness file: {error.strerror}",
            where=str(path),
        ) from None
    return path


def send(signed: SignedTreeHead) -> list[WitnessReport]:
    """POST the signed head (JSON) to every configured witness URL; report each, never raise."""
    timeout = config.audit_witness_timeout()
    return [_send(url, signed.to_json().encode("utf-8"), timeout) for url in config.audit_witness_urls()]


def _send(url: str, body: bytes, timeout: float) -> WitnessReport:
    if not url.startswith(("http://", "https://")):
        return WitnessReport(url, False, "not an http:// or https:// URL (FAMLINK_AUDIT_WITNESS_URLS)")
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as error:
        return WitnessReport(url, False, f"it answered {error.code} {error.reason}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return WitnessReport(url, False, f"nothing answered within {timeout:g} s: {reason}")
    return WitnessReport(url, True)


def witnessed_heads() -> list[WitnessedHead]:
    """Every head in the witness file (none if there is no file yet); an unreadable line is refused, named."""
    path = witness_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the witness file cannot be read: {error}", where=str(path)) from None
    return heads_in_text(text, f"the witness file {path}") if text.strip() else []


def saved_heads(source: str) -> list[WitnessedHead]:
    """The heads in a saved copy: a file, or an http(s) URL serving one (such as /transparency/audit-log.json)."""
    if source.startswith(("http://", "https://")):
        timeout = config.audit_witness_timeout()
        try:
            with urllib.request.urlopen(source, timeout=timeout) as answer:
                data = answer.read(MOST_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise InvalidInput(f"{source} answered {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise InvalidInput(f"nothing answered at {source}: {getattr(error, 'reason', error)}") from None
        if len(data) > MOST_BYTES:
            raise InvalidInput(f"{source} sent more than {MOST_BYTES // (1024 * 1024)} MB: not a saved copy of tree heads")
    else:
        try:
            data = Path(source).expanduser().read_bytes()
        except FileNotFoundError:
            raise InvalidInput("there is no such file", where=source) from None
        except OSError as error:
            raise InvalidInput(f"the file cannot be read: {error.strerror}", where=source) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{source} is not text (UTF-8)") from None
    return heads_in_text(text, source)
