"""Page guards: who may open a page, checked before the view runs.

Anyone not signed in is sent to sign in (and back afterwards); a signed-in
account of the wrong kind gets a 403 page through ``FamlinkError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from famlink.adapters.storage.accounts.access import (
    STAFF_ROLES,
    current_person,
    require_parent,
    require_staff,
)
from famlink.adapters.storage.accounts.errors import NotAllowed
from famlink.adapters.storage.family.models import Person
from famlink.adapters.storage.governance.actors import actor_for
from famlink.core.policy import Actor
from famlink.core.roles import Role
from famlink.services.workspace.opening import current_opening

View = Callable[..., HttpResponseBase]  # downloads are FileResponses


def parent_page(view: View) -> View:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_parent(request)
        return view(request, *args, **kwargs)

    return guarded


def staff_page(*roles: Role) -> Callable[[View], View]:
    allowed = tuple(roles) or STAFF_ROLES

    def mark(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_staff(request, allowed)
            return view(request, *args, **kwargs)

        return guarded

    return mark


def family_page(view: View) -> View:
    """A portal page about the family: a parent who has verified who they are.

    A parent who has not verified yet is sent to the verification page; the
    view itself reads only through the policy door.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_parent(request)
        if current_person(request) is None:
            return redirect("portal-verify")
        return view(request, *args, **kwargs)

    return guarded


def opened_family(view: View) -> View:
    """A family page: the practitioner has opened this family for a purpose, and it has not run out.

    Without a current opening they are sent to state a purpose and a case
    reference first; the opening is handed to the view, which reads its
    purpose from it, never from the URL. Put it below ``@staff_page``.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        person_id = str(kwargs.get("person_id", ""))
        found = current_opening(actor_for(request.user), person_id)
        if found is None:
            return redirect("workspace-open", person_id=person_id)
        request.famlink_opening = found  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return guarded


def signed_in_parent(request: HttpRequest) -> tuple[Actor, Person]:
    """The policy's Actor and the Person a verified parent proved to be."""
    person = current_person(request)
    if person is None:
        raise NotAllowed("Verify who you are before you see any records.")
    return actor_for(request.user), person


def signed_in_staff(request: HttpRequest) -> Actor:
    return actor_for(request.user)
