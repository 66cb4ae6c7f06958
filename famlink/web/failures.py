"""Django's own failure pages (CSRF, not found, server error) in the GOV.UK layout.

Each becomes a ``FamlinkError`` rendered by the one edge renderer, so every
failure a person can meet looks the same and says what to do next.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from famlink.core.errors import FamlinkError, NotFound
from famlink.web.errors import error_response


class FormExpired(FamlinkError):
    status = 403


class ServiceProblem(FamlinkError):
    status = 500


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(request, FormExpired("This form has expired or was sent from another site. Go back, reload the page and try again."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NotFound("There is no page at this address. Check it, or go to the start page."))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, ServiceProblem("Something went wrong on our side. Try again later."))
