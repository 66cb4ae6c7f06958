"""A urlconf with routes the walker must catch: two read around the door, one says the wrong action."""

from django.http import JsonResponse
from django.urls import path

from famlink.adapters.storage.family.models import Person
from famlink.core.audit import AuditEvent
from famlink.core.taxonomy import DataCategory, Purpose
from famlink.services.governance import door
from famlink.services.governance.door import actor_for
from famlink.urls import urlpatterns as real
from famlink.web.marks import personal_data


def undeclared(request, public_id):  # type: ignore[no-untyped-def]
    return JsonResponse({"name": Person.objects.get(public_id=public_id).display_name})


@personal_data(action=AuditEvent.RECORD_VIEWED)
def declared_but_bypassing(request, public_id):  # type: ignore[no-untyped-def]
    return JsonResponse({"name": Person.objects.get(public_id=public_id).display_name})


@personal_data(action=AuditEvent.DATA_DOWNLOADED)
def says_downloaded_but_views(request, public_id):  # type: ignore[no-untyped-def]
    person = Person.objects.get(public_id=public_id)
    with door.open(actor_for(request.user), Purpose.DIRECT_SERVICE_DELIVERY, person, (DataCategory.IDENTITY,)):
        return JsonResponse({"name": person.display_name})


urlpatterns = [
    *real,
    path("leak/<str:public_id>", undeclared),
    path("sneaky/<str:public_id>", declared_but_bypassing),
    path("mislabelled/<str:public_id>", says_downloaded_but_views),
]
