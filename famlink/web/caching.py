"""Which answers a browser or a proxy may keep: public pages for nobody in particular, nothing else.

A page about a family left in a shared computer's browser cache, or in a
proxy, can be opened by the next person there. So every answer carries
``Cache-Control: no-store`` unless its route is declared ``@public`` and
nobody is signed in. The rule reads the routes' own declarations, so a new
``@personal_data`` view cannot forget it, and an answer no route claims (a
404, the API's 401) is not kept either.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from famlink.web.marks import RouteAccess, declared


def may_be_stored(request: HttpRequest) -> bool:
    """Only a ``@public`` route's answer to someone not signed in."""
    match = getattr(request, "resolver_match", None)
    if match is None or declared(match.func) is not RouteAccess.PUBLIC:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer ``may_be_stored`` does not allow."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not may_be_stored(request):
            response["Cache-Control"] = "no-store"
        return response
