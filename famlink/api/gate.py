"""The API's front gate: signed in, or 401 before anything is looked up; then a rate limit per account.

An unauthenticated call is not about anybody yet: it gets no lookup (so no
403-for-real, 404-for-unknown answer telling which ids exist) and no entry
in any family's access log. A signed-in account is limited to
``FAMLINK_API_CALLS_PER_MINUTE`` calls a minute, counted in the database
(``lockout.count_call``) so the limit holds across every worker.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import NotSignedIn, TooManyCalls
from famlink.core.errors import FamlinkError

PREFIX = "/api/"
SIGN_IN_FIRST = "Sign in first: the API answers signed-in accounts only."


def _refused(error: FamlinkError, headers: dict[str, str]) -> JsonResponse:
    return JsonResponse({"error": error.text}, status=error.status, headers=headers)


def _challenge() -> str:
    """The session cookie is the API's credential (draft-broyer-http-cookie-auth's ``Cookie`` scheme)."""
    return f'Cookie realm="famlink", form-action="{settings.LOGIN_URL}", cookie-name="{settings.SESSION_COOKIE_NAME}"'


class ApiGate:
    """Every request under ``/api/`` passes here before URL resolution, views or the policy door."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return _refused(NotSignedIn(SIGN_IN_FIRST), {"WWW-Authenticate": _challenge()})
        try:
            lockout.count_call(f"account:{request.user.pk}", settings.FAMLINK_API_CALLS_PER_MINUTE)
        except TooManyCalls as error:
            return _refused(error, {"Retry-After": str(error.retry_after)})
        return self.get_response(request)
