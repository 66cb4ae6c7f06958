"""English or Cymraeg: a plain link that sets the language cookie (works without JavaScript)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from famlink.core.errors import NotFound
from famlink.web.marks import public


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """Where to go back to: only a path on this site, never another site."""
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@public
def choose_language(request: HttpRequest, code: str) -> HttpResponseRedirect:
    if code not in dict(settings.LANGUAGES):
        raise NotFound(f"famlink has no language {code}.")
    response = HttpResponseRedirect(safe_next(request))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True)
    return response
