"""Every URL famlink answers, in one place.

Each view is marked ``@public`` (no personal data) or ``@personal_data`` (read
through the policy door, under a page guard from ``famlink/web/access.py``);
tests/web/test_route_marks.py (from the source) and test_route_walk.py (by
requests) fail on any other.
URL parameters are ``<number:...>`` (ASCII digits, ``famlink.core.digits``) or
``<name:...>`` (ASCII letters, digits, ``._~-``): ``famlink/web/converters.py``.
"""

from django.urls import include, path

from famlink.api import description
from famlink.api.routes import api
from famlink.web import converters, views, views_registers  # noqa: F401  (converters: <number:...>, <name:...>)

urlpatterns = [
    path("", views.home, name="home"),
    path("registers/algorithms", views_registers.algorithms, name="register-algorithms"),
    path("registers/algorithms.<name:fmt>", views_registers.algorithms, name="register-algorithms-data"),
    path("registers/algorithms/<name:model_id>/assessments/<number:pk>.<name:fmt>", views_registers.assessment_report, name="assessment-report"),
    path("registers/contractors", views_registers.contractors, name="register-contractors"),
    path("registers/contractors.<name:fmt>", views_registers.contractors, name="register-contractors-data"),
    path("registers/schemas/<name:name>.schema.json", views_registers.register_schema, name="register-schema"),
    path("transparency/audit-log", views_registers.audit_log, name="transparency-audit-log"),
    path("transparency/audit-log.<name:fmt>", views_registers.audit_log, name="transparency-audit-log-data"),
    path("", include("famlink.web.routes")),  # sign-in, portal and team front doors, language
    path("api/openapi.json", description.openapi, name="api-openapi"),
    path("api/docs", description.docs, name="api-docs"),
    path("api/", api.urls),  # the API for case-management systems (famlink/api/routes.py; docs/api.md)
]

handler404 = "famlink.web.failures.not_found"
handler500 = "famlink.web.failures.server_error"
