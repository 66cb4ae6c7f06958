"""The API's description: OpenAPI 3.1 at ``/api/openapi.json`` and a documentation page at ``/api/docs``.

Neither shows anybody's data, so both are ``@public`` and open without a
token (the gate lets exactly these two through). The documentation page is
made on the server from the same OpenAPI description, in GOV.UK style: no
script and nothing from a CDN, so it works under famlink's Content Security
Policy (ninja's Swagger UI would need both).
"""

import functools
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from famlink.adapters.storage.accounts.errors import NotAllowed, NotSignedIn, TooManyCalls
from famlink.adapters.storage.governance.audit.writer import AuditUnavailable
from famlink.api.callers import ScopeMissing
from famlink.api.gate import MethodNotAllowed
from famlink.api.routes import api
from famlink.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from famlink.core.taxonomy import PURPOSE_LABELS
from famlink.services.accounts.tokens import Scope
from famlink.web.errors import problem_type
from famlink.web.marks import public

#: The problems an API call can answer with, in the order the page lists them.
PROBLEMS = (
    (NotSignedIn, "No bearer token (or signed-in session), or one that is wrong, expired or revoked."),
    (ScopeMissing, "The token is valid but its scopes do not include this operation."),
    (AccessDenied, "The policy refused this purpose for this person; reasons lists why, each with its code."),
    (NotAllowed, "Not for this kind of account (a signed-in session tried to change something)."),
    (InvalidInput, "A parameter is missing or wrong; parameter names it."),
    (NotFound, "No such person, or no such operation."),
    (Conflict, "The change conflicts with what is already recorded."),
    (MethodNotAllowed, "The address does not answer this method; Allow says which it does."),
    (TooManyCalls, "Over FAMLINK_API_CALLS_PER_MINUTE; Retry-After says how many seconds to wait."),
    (AuditUnavailable, "The audit log did not confirm the read, so nothing was shown; try again."),
)


@functools.cache
def description() -> dict[str, Any]:
    """Made once per process: the operations do not change while famlink runs (it took 30 ms a call)."""
    schema: dict[str, Any] = api.get_openapi_schema()
    return schema


@require_GET
@public
def openapi(request: HttpRequest) -> JsonResponse:
    """``GET /api/openapi.json``: the OpenAPI 3.1 description."""
    return JsonResponse(description(), json_dumps_params={"indent": 1})


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            out.append({
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "description": operation.get("description", ""), "id": operation.get("operationId", ""),
                "scope": operation.get("x-famlink-scope", ""), "roles": operation.get("x-famlink-roles", []),
                "parameters": [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                                "description": p.get("description", "") or p.get("schema", {}).get("description", "")}
                               for p in operation.get("parameters", [])],
                "answers": sorted(str(s) for s in operation.get("responses", {})),
            })
    return out


@require_GET
@public
def docs(request: HttpRequest) -> HttpResponse:
    """``GET /api/docs``: what each operation takes and answers, made from the OpenAPI description."""
    schema = description()
    return render(request, "api/docs.html", {
        "operations": _operations(schema), "version": schema.get("openapi", ""),
        "scopes": list(Scope), "purposes": [(p.value, PURPOSE_LABELS[p]) for p in PURPOSE_LABELS],
        "problems": [(problem_type(kind).split("#")[1], kind.__name__, kind.status, words) for kind, words in PROBLEMS],
    })
