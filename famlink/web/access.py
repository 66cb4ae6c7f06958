"""Page guards: who may open a page, checked before the view runs.

Anyone not signed in is sent to sign in (and back afterwards); a signed-in
account of the wrong kind gets a 403 page through ``FamlinkError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from famlink.adapters.storage.accounts.access import STAFF_ROLES, require_parent, require_staff
from famlink.core.policy.roles import Role

View = Callable[..., HttpResponse]


def parent_page(view: View) -> View:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_parent(request)
        return view(request, *args, **kwargs)

    return guarded


def staff_page(*roles: Role) -> Callable[[View], View]:
    allowed = tuple(roles) or STAFF_ROLES

    def mark(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_staff(request, allowed)
            return view(request, *args, **kwargs)

        return guarded

    return mark
