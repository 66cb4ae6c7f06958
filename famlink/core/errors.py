"""One error type that carries a message for people.

Core code raises a ``FamlinkError`` (or a subclass) with a sentence a person
can act on: what was wrong and where. The edges (CLI, web, API) translate it
once: a one-line message and a non-zero exit code, an HTML error page, or a
JSON body. Nothing else in famlink catches and re-words errors.
"""

from __future__ import annotations


class FamlinkError(Exception):
    """A problem a person can understand and act on."""

    status: int = 400  # the HTTP status the web/API edge uses

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidInput(FamlinkError):
    """Input (a file, a form, a command argument) that cannot be accepted."""


class NotFound(FamlinkError):
    status = 404


class AccessDenied(FamlinkError):
    """The policy decision point said no; ``codes`` are its reason codes, for a caller that words them itself."""

    status = 403

    def __init__(self, message: str, *, where: str | None = None, codes: tuple[str, ...] = ()) -> None:
        self.codes = codes
        super().__init__(message, where=where)


class Conflict(FamlinkError):
    status = 409
