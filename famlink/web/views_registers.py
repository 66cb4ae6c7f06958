"""The public registers and the audit-log tree heads: no sign-in, no personal data.

Views are thin: the data comes from ``famlink.services.registers.exports``,
the same function for the page, the JSON and the CSV, so the three cannot disagree.
"""

from __future__ import annotations

import base64
import hashlib

from csp.decorators import csp_update
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from famlink import config
from famlink.core.assessment.report import CSS as REPORT_CSS
from famlink.core.errors import NotFound
from famlink.core.taxonomy import Purpose
from famlink.services.registers import exports
from famlink.web import words
from famlink.web.marks import public

TEMPLATES = {
    "algorithms": "registers/algorithms.html",
    "contractors": "registers/contractors.html",
    "audit-log": "registers/audit_log.html",
}


def _register(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if fmt not in ("html", "json", "csv"):
        raise NotFound(f"the register is published as .json or .csv, not .{fmt}")
    data = exports.build(name)
    if fmt == "json":
        response: HttpResponse = JsonResponse(data, json_dumps_params={"indent": 2})
        response["Link"] = f'</registers/schemas/{name}.schema.json>; rel="describedby"'
        return response
    if fmt == "csv":
        response = HttpResponse(exports.as_csv(name, data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    extra: dict[str, object] = {}
    if name == "algorithms":  # what each use of records rests on, from the configuration the system runs on
        for entry in data.get("entries", []):
            entry["consent"] = words.consent_model_words(Purpose(entry["purpose"])) if entry.get("purpose") in PURPOSES else ""
        extra["consent_models"] = [{"purpose": words.PURPOSE[p], "model": words.CONSENT_MODEL[model.model],
                                    "says": words.consent_model_words(p)}
                                   for p, model in config.consent_models().items()]
    return render(request, TEMPLATES[name], {"data": data, "name": name, **extra})


PURPOSES = frozenset(p.value for p in Purpose)


@public
def algorithms(request: HttpRequest, fmt: str = "html") -> HttpResponse:
    return _register(request, "algorithms", fmt)


@public
def contractors(request: HttpRequest, fmt: str = "html") -> HttpResponse:
    return _register(request, "contractors", fmt)


@public
def audit_log(request: HttpRequest, fmt: str = "html") -> HttpResponse:
    return _register(request, "audit-log", fmt)


@public
def register_schema(request: HttpRequest, name: str) -> HttpResponse:
    if name not in exports.REGISTERS:
        raise NotFound(f"there is no register called '{name}'")
    return JsonResponse(exports.schema(name), json_dumps_params={"indent": 2})


#: The report carries its own small stylesheet (so the saved HTML file stands alone);
#: the page allows exactly that stylesheet by its hash, nothing else inline.
REPORT_STYLE = "'sha256-" + base64.b64encode(hashlib.sha256(REPORT_CSS.encode()).digest()).decode() + "'"


@public
# django-csp 4.0 types views as taking only the request; its wrapper passes URL arguments through.
@csp_update({"style-src": [REPORT_STYLE]})  # type: ignore[arg-type]
def assessment_report(request: HttpRequest, model_id: str, pk: int, fmt: str) -> HttpResponseBase:
    """An assessment's report: figures for groups, never for a person (small groups are suppressed)."""
    if fmt not in ("html", "pdf", "json"):
        raise NotFound(f"no assessment {pk} of '{model_id}'")
    report = exports.assessment_report(model_id, pk)
    if fmt == "json":
        return JsonResponse(report.figures, json_dumps_params={"indent": 2})
    if fmt == "pdf":
        if report.pdf is None:
            raise NotFound("this assessment has no PDF report")
        return FileResponse(report.pdf.open("rb"), content_type="application/pdf")
    return HttpResponse(report.page(), content_type="text/html; charset=utf-8")
