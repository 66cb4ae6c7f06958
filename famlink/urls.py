"""Every URL famlink answers, in one place."""

from django.urls import path

from famlink.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
