"""The one place a ``FamlinkError`` becomes a web response (HTML or JSON)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from famlink.core.errors import FamlinkError


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json") or (
        "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", "")
    )


def error_response(request: HttpRequest, error: FamlinkError) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": error.text}, status=error.status)
    return render(request, "web/error.html", {"error": error}, status=error.status)


class FamlinkErrorMiddleware:
    """Render any ``FamlinkError`` a view raises, once, at the edge."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, FamlinkError):
            return error_response(request, exception)
        return None
