"""The structure management pages (home, units, places, members, teams, audit log), gathered
for core/urls.py. Each module keeps its own `urlpatterns`."""

from django.urls import URLPattern

from liuqing.core.views import audit, members, places, teams, units

urlpatterns: list[URLPattern] = [
    *units.urlpatterns,
    *places.urlpatterns,
    *members.urlpatterns,
    *teams.urlpatterns,
    *audit.urlpatterns,
]
