"""Why a sign-in or a verification was refused, in words a parent can act on."""

from __future__ import annotations

from famlink.core.errors import FamlinkError


class SignInRefused(FamlinkError):
    """Wrong username, password or code. One message for all, so nobody learns which."""

    status = 400


class TooManyAttempts(SignInRefused):
    """Locked out for a while after too many wrong tries."""

    status = 429


class NotSignedIn(FamlinkError):
    status = 401


class TooManyCalls(FamlinkError):
    """An API client over its calls a minute; ``retry_after`` says in how many seconds to try again."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAllowed(FamlinkError):
    """Signed in, but this page is not for this kind of account."""

    status = 403


class VerificationRefused(FamlinkError):
    """A verification code that is wrong, used, expired or out of tries."""

    status = 400
