"""Public pages that show no personal data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from famlink.adapters.storage.sources.store import holdings
from famlink.web.marks import public


@public
def home(request: HttpRequest) -> HttpResponse:
    totals = holdings()
    summary = [
        ("Sources", totals["sources"]),
        ("Records", totals["records"]),
        ("Rows held back for checking", totals["quarantined"]),
        ("People", totals["persons"]),
        ("Households", totals["households"]),
    ]
    return render(request, "web/home.html", {"summary": summary})
