"""Who is calling the API, and whether their token's scopes reach the operation called.

The gate (``gate.py``) has already checked the caller before the URL was
resolved: a bearer token, or a browser session. Here each operation names
the scope it needs; a token without it gets 403, before any lookup. The
class also describes the bearer token in the OpenAPI description.
"""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from famlink.adapters.storage.accounts.errors import NotAllowed, NotSignedIn
from famlink.adapters.storage.governance.actors import actor_for
from famlink.core.errors import FamlinkError
from famlink.core.roles import Role
from famlink.services.accounts.tokens import Caller, Scope

ATTRIBUTE = "famlink_caller"
#: Who the workspace's operations are for: as its pages (famlink/web/workspace.py), practitioners and leads.
WORKSPACE_ROLES = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)


class ScopeMissing(FamlinkError):
    """A valid token, but not one that may call this operation."""

    status = 403


def caller(request: HttpRequest) -> Caller:
    """The caller the gate let in (a service account's token, or a signed-in account)."""
    found: Caller | None = getattr(request, ATTRIBUTE, None)
    if found is None:  # only reachable with the gate taken out of the middleware
        raise NotSignedIn("Send a bearer token (Authorization: Bearer <token>) or sign in first.")
    return found


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``, from ``famlink accounts create-service``; it must carry ``scope``.

    ``roles``: the operation is for callers of these roles only, as a page
    guard says who a page is for (the workspace's operations, like its pages,
    are for practitioners and safeguarding leads); the policy door still
    decides every read.
    """

    def __init__(self, scope: Scope, roles: tuple[Role, ...] = ()) -> None:
        super().__init__()
        self.scope = scope
        self.roles = roles

    def __call__(self, request: HttpRequest) -> Caller:
        found = caller(request)
        if self.scope not in found.scopes:
            raise ScopeMissing(f"This token may not call this operation: it needs the scope {self.scope}. "
                               "Ask the data team for a token with it (famlink accounts create-service --scope).")
        if self.roles and actor_for(found.user).role not in self.roles:
            raise NotAllowed(f"This operation is for {' and '.join(r.value for r in self.roles)} accounts only.")
        return found

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return None  # never called: the gate checked the token, ``__call__`` checks its scope


def scoped(scope: Scope, roles: tuple[Role, ...] = ()) -> dict[str, Any]:
    """The OpenAPI extensions naming an operation's scope (``x-famlink-scope``) and roles, for clients and /api/docs."""
    return {"x-famlink-scope": scope.value, **({"x-famlink-roles": [r.value for r in roles]} if roles else {})}
