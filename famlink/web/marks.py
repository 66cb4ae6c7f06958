"""Every route says what it shows: nothing personal, or personal data through the door.

``@public`` marks a page that shows no personal data. ``@personal_data``
marks one that does; it also checks, on every request, that the view really
asked the policy door (``famlink.services.governance.door.open``) and
fails loudly if it returned a page without doing so. ``tests/web`` walks every
URL pattern and fails on any route with neither mark.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from famlink.core.audit import AuditEvent
from famlink.services.governance.door import door_uses

View = Callable[..., HttpResponseBase]  # FileResponse and StreamingHttpResponse are not HttpResponses
V = TypeVar("V", bound=View)
ATTRIBUTE = "famlink_route_access"


class RouteAccess(StrEnum):
    """What a route declares about the data it shows."""

    PUBLIC = "route:public"
    PERSONAL_DATA = "route:personal_data"


def public(view: V) -> V:
    """This route shows no personal data (totals, registers, help pages)."""
    setattr(view, ATTRIBUTE, RouteAccess.PUBLIC)
    return view


def personal_data(*, action: AuditEvent = AuditEvent.RECORD_VIEWED, subject_kwarg: str = "public_id") -> Callable[[View], View]:
    """This route shows personal data of the person named by ``subject_kwarg``, through the door."""

    def mark(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            with door_uses() as tally:
                response = view(request, *args, **kwargs)
            if not tally and response.status_code < 400:
                raise ImproperlyConfigured(
                    f"{view.__module__}.{view.__name__} returned personal data without asking the policy door"
                )
            return response

        setattr(guarded, ATTRIBUTE, RouteAccess.PERSONAL_DATA)
        guarded.famlink_action = action  # type: ignore[attr-defined]
        guarded.famlink_subject_kwarg = subject_kwarg  # type: ignore[attr-defined]
        return guarded

    return mark


def declared(view: Any) -> RouteAccess | None:
    """A route's declaration, looking through class-based views' ``view_class``."""
    found = getattr(view, ATTRIBUTE, None)
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, ATTRIBUTE, None)
    return found
