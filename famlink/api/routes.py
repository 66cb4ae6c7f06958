"""The API for case-management systems: one ninja ``NinjaAPI``, its operations, its errors.

Operations live in a module each (records, people, families, alerts); each
is marked ``@personal_data`` (through the door, audited) and names the scope
its token needs. Every error becomes problem details in ONE place
(``famlink.web.errors.error_response``): a ``FamlinkError`` as it is, and
ninja's own (a parameter missing or of the wrong kind) as ``InvalidInput``.
"""

import functools
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from famlink.api import alerts, families, people, records
from famlink.core.errors import FamlinkError, InvalidInput, NotFound
from famlink.web.errors import PROBLEM_JSON, error_response

DESCRIPTION = """\
famlink's API for case-management systems. Every operation on personal data
takes the **purpose** of the read; the council's policy decides for that
purpose, and every call, answered or refused, is in the family's access log.
Authenticate with `Authorization: Bearer <token>` (a service account's token,
`famlink accounts create-service`); a token calls only the operations its
scopes name. Errors are `application/problem+json` (RFC 9457).
"""


PURPOSE = ("Why you are reading (required): the policy decides for this purpose, and the family's access log "
           "records it. One of famlink's purposes (docs/api.md).")


class FamlinkAPI(NinjaAPI):
    """ninja's API, describing errors as problem details and each operation's scope.

    Its URL patterns carry their operation's route mark (``@public`` or
    ``@personal_data``, famlink/web/marks.py) and HTTP methods, so the route
    walk and the static route check see each operation as they see a page;
    ninja's own root view, which would answer nothing useful, is left out.
    """

    PREFIX = "/api/"

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        out: list[URLResolver | URLPattern] = []
        for bound in self._get_bound_routers():
            for pattern, operation in zip(bound.urls_paths(bound.prefix), _operations(bound), strict=True):
                functools.update_wrapper(pattern.callback, operation.view_func)
                pattern.callback.famlink_methods = tuple(operation.methods)  # type: ignore[attr-defined]
                out.append(pattern)
        return out

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("path_prefix", self.PREFIX)
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if "x-famlink-scope" in operation:
                    operation["description"] = (operation.get("description", "") +
                                                f"\n\nNeeds a token with the scope `{operation['x-famlink-scope']}`." +
                                                (f" For {' and '.join(operation['x-famlink-roles'])} accounts."
                                                 if "x-famlink-roles" in operation else "")).strip()
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "purpose":  # not the enum's docstring: what the caller states
                        parameter["description"] = parameter["schema"]["description"] = PURPOSE
                for status, answer in operation.get("responses", {}).items():
                    if str(status).startswith(("4", "5")) and "application/json" in answer.get("content", {}):
                        answer["content"] = {PROBLEM_JSON: answer["content"]["application/json"]}
        return schema


def _operations(bound: Any) -> list[Any]:
    """A bound router's operations, in the order ``urls_paths`` yields their URL patterns."""
    return [operation for view in bound.path_operations.values() for operation in view.operations]


api = FamlinkAPI(title="famlink", version="1", description=DESCRIPTION, urls_namespace="api",
                 docs_url=None, openapi_url=None)
for router in (people.router, families.router, records.router, alerts.router):
    api.add_router("", router)


@api.exception_handler(FamlinkError)
def _famlink_error(request: HttpRequest, error: FamlinkError) -> HttpResponse:
    return error_response(request, error)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A parameter missing or of the wrong kind (checked by ninja against the OpenAPI description)."""
    first = error.errors[0] if error.errors else {}
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
    words = "; ".join(str(e.get("msg", "invalid")) for e in error.errors) or "invalid request"
    return error_response(request, InvalidInput(words, where=where))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    made = NotFound(str(error)) if error.status_code == 404 else InvalidInput(str(error))
    return error_response(request, made)
