"""The API's front gate: a valid bearer token or a signed-in session, or 401 before anything is looked up; then a rate limit per account.

An unauthenticated call is not about anybody yet: it gets no lookup (so no
403-for-real, 404-for-unknown answer telling which ids exist) and no entry
in any family's access log. A bearer token (a service account's, from
``famlink accounts create-service``) is tried first; without an
``Authorization`` header, a signed-in browser session is accepted for reads
(a session cannot change anything here: it would need a CSRF token the API
does not take). Every account is limited to ``FAMLINK_API_CALLS_PER_MINUTE``
calls a minute, counted in the database (``lockout.count_call``) so the limit
holds across every worker. The API's description (``/api/openapi.json``,
``/api/docs``) shows nobody's data and is open to all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from famlink.adapters.storage.accounts import lockout
from famlink.adapters.storage.accounts.errors import NotAllowed, NotSignedIn, TooManyCalls
from famlink.adapters.storage.accounts.models import Account
from famlink.adapters.storage.accounts.signin import SECOND_FACTOR_KEY
from famlink.api.callers import ATTRIBUTE
from famlink.core.errors import FamlinkError
from famlink.services.accounts.tokens import Caller, Scope, caller_for
from famlink.web.errors import error_response

PREFIX = "/api/"
DESCRIPTION = frozenset({"/api/openapi.json", "/api/docs"})
SIGN_IN_FIRST = "Send a bearer token (Authorization: Bearer <token>) or sign in first."
BAD_TOKEN = "This bearer token is not valid: it is wrong, has expired or was revoked. Ask the data team for a new one."
READS_ONLY = "A signed-in session can only read through the API; a change needs a service account's bearer token."
SECURITY_CODE_FIRST = "Finish signing in with your security code first: staff read the API as they read its pages."
CHALLENGE = 'Bearer realm="famlink"'
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def half_signed_in(request: HttpRequest) -> bool:
    """A staff account that gave its password but not yet its security code (the pages refuse it too)."""
    signed_in: Any = request.user.pk  # signed in: a number (mypy cannot see the is_authenticated check)
    kind = Account.objects.filter(user_id=signed_in).values_list("kind", flat=True).first()
    return kind == Account.Kind.STAFF and not request.session.get(SECOND_FACTOR_KEY)


class MethodNotAllowed(FamlinkError):
    status = 405


class ApiGate:
    """Every request under ``/api/`` passes here before URL resolution, views or the policy door."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(PREFIX) or request.path_info in DESCRIPTION:
            return self.get_response(request)
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            found = caller_for(token.strip()) if scheme.lower() == "bearer" else None
            if found is None:
                return error_response(request, NotSignedIn(BAD_TOKEN),
                                      {"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'})
            request.user = found.user
        elif request.user.is_authenticated:
            if half_signed_in(request):
                return error_response(request, NotSignedIn(SECURITY_CODE_FIRST), {"WWW-Authenticate": CHALLENGE})
            if request.method not in SAFE_METHODS:
                return error_response(request, NotAllowed(READS_ONLY))
            found = Caller(user=request.user, scopes=frozenset(Scope), token_id=None)
        else:
            return error_response(request, NotSignedIn(SIGN_IN_FIRST), {"WWW-Authenticate": CHALLENGE})
        setattr(request, ATTRIBUTE, found)
        try:
            lockout.count_call(f"account:{found.user.pk}", settings.FAMLINK_API_CALLS_PER_MINUTE)
        except TooManyCalls as error:
            return error_response(request, error, {"Retry-After": str(error.retry_after)})
        response = self.get_response(request)
        if response.status_code == 405 and "Allow" in response:  # ninja's own answer, as problem details like any other
            return error_response(request, MethodNotAllowed(f"This address answers {response['Allow']} only."),
                                  {"Allow": response["Allow"]})
        return response
