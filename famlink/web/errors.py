"""The one place a ``FamlinkError`` becomes a web response (HTML, JSON, or problem details for the API).

Under ``/api/`` an error is ``application/problem+json`` (RFC 9457): ``type``
(a link to its description in the API's documentation page), ``title``,
``status``, ``detail``; a policy refusal adds ``reasons``, the door's codes
with their words, and bad input the ``parameter`` it was about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from famlink.core.errors import AccessDenied, FamlinkError
from famlink.core.policy import REASON_TEXT

API_PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"
#: Where each problem type is described: the API documentation page (``/api/docs``).
PROBLEM_TYPES = "/api/docs#problem-"
#: How the door names an obligation a view cannot meet (``famlink/services/governance/door.py``).
UNMET = "obligation_cannot_be_met:"


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX) or request.path.endswith(".json") or (
        "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", "")
    )


def problem_type(error: type[FamlinkError]) -> str:
    """``AccessDenied`` -> ``/api/docs#problem-access-denied``: one anchor per kind of error."""
    return PROBLEM_TYPES + re.sub(r"(?<!^)(?=[A-Z])", "-", error.__name__).lower()


def problem(error: FamlinkError) -> dict[str, Any]:
    """The RFC 9457 problem details of an error, as the API sends them."""
    body: dict[str, Any] = {"type": problem_type(type(error)), "title": HTTPStatus(error.status).phrase,
                            "status": error.status, "detail": error.text}
    if error.where:
        body["parameter"] = error.where
    if isinstance(error, AccessDenied):
        body["reasons"] = reasons(error)
    return body


def reasons(error: AccessDenied) -> list[dict[str, str]]:
    """The door's reasons for a refusal, each code with its words (an obligation this read cannot meet: the detail)."""
    unmet = [code for code in error.codes if code.startswith(UNMET)]
    if unmet:
        return [{"code": code, "text": error.message} for code in unmet]
    known = {code.value: text for code, text in REASON_TEXT.items()}
    return [{"code": code, "text": known.get(code, error.message)} for code in error.codes]


def error_response(request: HttpRequest, error: FamlinkError, headers: Mapping[str, str] | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(problem(error), status=error.status, content_type=PROBLEM_JSON, headers=headers)
    if wants_json(request):
        return JsonResponse({"error": error.text}, status=error.status, headers=headers)
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
