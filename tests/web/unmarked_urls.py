"""A urlconf of views missing a route mark or a page guard (for the static route check's own test)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views import View
from django.views.decorators.http import require_GET

from famlink.core.audit import AuditEvent
from famlink.web import access, converters  # noqa: F401  (converters: <name:...>)
from famlink.web.access import family_page, staff_page
from famlink.web.marks import personal_data, public


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a new page nobody marked")


@public
@personal_data(action=AuditEvent.RECORD_VIEWED)
def both(request: HttpRequest, public_id: str) -> HttpResponse:
    return JsonResponse({})


@require_GET
@personal_data(action=AuditEvent.RECORD_VIEWED)
def unguarded(request: HttpRequest, public_id: str) -> HttpResponse:
    return JsonResponse({})


@personal_data(action=AuditEvent.RECORD_VIEWED)
@family_page
def guard_below(request: HttpRequest, public_id: str) -> HttpResponse:
    return JsonResponse({})


class Unmarked(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("a class-based page nobody marked")


@require_GET
@access.family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def guarded(request: HttpRequest, public_id: str) -> HttpResponse:
    return JsonResponse({})


@public
@staff_page()
def staff_totals(request: HttpRequest) -> HttpResponse:
    return HttpResponse("totals")


urlpatterns = [
    path("forgotten/", forgotten),
    path("both/<name:public_id>/", both),
    path("unguarded/<name:public_id>/", unguarded),
    path("guard-below/<name:public_id>/", guard_below),
    path("unmarked-class/", Unmarked.as_view()),
    path("guarded/<name:public_id>/", guarded),
    path("totals/", staff_totals),
    path("api/people/<name:public_id>/", unguarded),  # the API gate guards everything under /api/
]
