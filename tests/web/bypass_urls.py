"""A urlconf with two routes that read personal data around the door (for the walker's own test)."""

from django.http import JsonResponse
from django.urls import path

from famlink.adapters.storage.family.models import Person
from famlink.urls import urlpatterns as real
from famlink.web.marks import personal_data


def undeclared(request, public_id):  # type: ignore[no-untyped-def]
    return JsonResponse({"name": Person.objects.get(public_id=public_id).display_name})


@personal_data()
def declared_but_bypassing(request, public_id):  # type: ignore[no-untyped-def]
    return JsonResponse({"name": Person.objects.get(public_id=public_id).display_name})


urlpatterns = [
    *real,
    path("leak/<str:public_id>", undeclared),
    path("sneaky/<str:public_id>", declared_but_bypassing),
]
