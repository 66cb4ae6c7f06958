"""Reads the decorators written above every view a URL configuration routes to (not a test module).

The static half of the route walk (after GOV.UK Notify's
``test_routes_have_permissions_decorators``): no request is made, so a new
view without its route mark, or a personal-data view without a page guard,
fails even when the walk could not reach it. ``test_route_marks.py`` runs it
over ``famlink.urls`` and over ``unmarked_urls``, which it must catch.
"""

from __future__ import annotations

import ast
import inspect
import sys
from typing import Any

from django.conf import settings

from famlink.api import gate
from famlink.web import access, marks
from tests.web.routewalk import routes

#: The route marks (famlink/web/marks.py): a view carries exactly one.
MARKS: dict[Any, str] = {marks.public: "@public", marks.personal_data: "@personal_data"}
#: The page guards (famlink/web/access.py): who may open a page, checked before the view runs.
GUARDS: dict[Any, str] = {access.family_page: "@family_page", access.parent_page: "@parent_page",
                          access.staff_page: "@staff_page"}
API_GATE = f"{gate.ApiGate.__module__}.{gate.ApiGate.__name__}"


def _named(expr: ast.expr, namespace: dict[str, Any]) -> Any:
    """The object a decorator names in its module: ``public``, ``marks.public``, ``staff_page(...)``."""
    if isinstance(expr, ast.Call):
        return _named(expr.func, namespace)
    if isinstance(expr, ast.Name):
        return namespace.get(expr.id)
    if isinstance(expr, ast.Attribute):
        return getattr(_named(expr.value, namespace), expr.attr, None)
    return None


def written_decorators(view: Any) -> tuple[str, list[Any]]:
    """The view's name and the decorators written above its ``def`` (or its class), top first."""
    target = getattr(view, "view_class", None) or inspect.unwrap(view)
    module = sys.modules[target.__module__]
    first_line = getattr(getattr(target, "__code__", None), "co_firstlineno", None)
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) or node.name != target.__name__:
            continue
        starts = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if first_line is None or starts == first_line:
            return f"{target.__module__}.{target.__qualname__}", [_named(d, vars(module)) for d in node.decorator_list]
    raise LookupError(f"no source for {target.__module__}.{target.__qualname__}")


def mark_problems(urlconf: str | None = None) -> list[str]:
    """Every routed view without exactly one route mark, and every personal-data view no guard stands before.

    A personal-data view needs a page guard written above its mark, so the
    guard runs first; under ``/api/`` the API gate (a middleware) is its
    guard. Pages marked ``@public`` show nobody's data and need none.
    """
    gated = API_GATE in settings.MIDDLEWARE
    found = []
    for route in routes(urlconf):
        name, decorators = written_decorators(route.view)
        said = [MARKS[d] for d in decorators if d in MARKS]
        if len(said) != 1:
            found.append(f"{route.path}: {name} has {' and '.join(said) or 'no route mark'}: "
                         "mark it with exactly one of @public and @personal_data")
            continue
        if said != ["@personal_data"] or (gated and route.path.startswith(gate.PREFIX)):
            continue
        mark = next(i for i, d in enumerate(decorators) if d is marks.personal_data)
        guards = [i for i, d in enumerate(decorators) if d in GUARDS]
        if not guards:
            found.append(f"{route.path}: {name} shows personal data with no page guard "
                         f"({', '.join(GUARDS.values())} from famlink/web/access.py)")
        elif min(guards) > mark:
            found.append(f"{route.path}: {name} has its page guard below @personal_data: put the guard above, "
                         "so it runs before the view")
    return found
