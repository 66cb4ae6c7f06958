"""Every route says what it shows: nothing personal, or personal data through the door.

``@public`` marks a page that shows no personal data. ``@personal_data``
marks one that does; it also checks, on every request, that the view really
asked the policy door (``famlink.services.governance.door.open``) and
fails loudly if it returned a page without doing so. Its ``action`` is what
the access log says the route did (the ``AuditEvent`` of the door's entry
when the page is opened), so a parent reading "who looked" sees the truth.
``tests/web`` walks every URL pattern and fails on any route with neither
mark, and on any personal-data route whose entry says another action.
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
ACTION_ATTRIBUTE = "famlink_action"


class RouteAccess(StrEnum):
    """What a route declares about the data it shows."""

    PUBLIC = "route:public"
    PERSONAL_DATA = "route:personal_data"


def public(view: V) -> V:
    """This route shows no personal data (totals, registers, help pages)."""
    setattr(view, ATTRIBUTE, RouteAccess.PUBLIC)
    return view


def personal_data(*, action: AuditEvent, subject_kwarg: str = "public_id") -> Callable[[View], View]:
    """This route shows personal data of the person named by ``subject_kwarg``, through the door.

    It marks an API operation (``famlink/api``) too: ninja calls the guarded
    function, which returns the operation's data rather than a response.

    ``action`` is the event the door logs when the route is opened (GET);
    what a form then changes is logged by the service that changes it.
    """

    def mark(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            with door_uses() as tally:
                response = view(request, *args, **kwargs)
            # a redirect shows nothing (a search with no terms, a family not yet opened): only a page
            # or a download that carries content must have asked the door
            answered = getattr(response, "status_code", 200)  # an API operation returns its data, not a response
            nobody = isinstance(response, list) and not response  # an API search that found no one shows nothing
            if not tally and answered < 300 and not nobody:
                raise ImproperlyConfigured(
                    f"{view.__module__}.{view.__name__} returned personal data without asking the policy door"
                )
            return response

        setattr(guarded, ATTRIBUTE, RouteAccess.PERSONAL_DATA)
        setattr(guarded, ACTION_ATTRIBUTE, action)
        guarded.famlink_subject_kwarg = subject_kwarg  # type: ignore[attr-defined]
        return guarded

    return mark


def _mark(view: Any, attribute: str) -> Any:
    found = getattr(view, attribute, None)
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, attribute, None)
    return found


def declared(view: Any) -> RouteAccess | None:
    """A route's declaration, looking through class-based views' ``view_class``."""
    found: RouteAccess | None = _mark(view, ATTRIBUTE)
    return found


def declared_action(view: Any) -> AuditEvent | None:
    """What a personal-data route says the access log records when it is opened (None: not personal data)."""
    found: AuditEvent | None = _mark(view, ACTION_ATTRIBUTE)
    return found
