"""URLs of partners and alerts, in the "partners" namespace, mounted at the site root: the
staff pages (/partners/), the partners' pages (/pp/), the public CAP messages and feed (/cap/)."""

from django.urls import path

from liuqing.partners.pp_views import pp_urlpatterns
from liuqing.partners.views import app_name, staff_urlpatterns

urlpatterns = [
    path(route, view, name=name) for route, view, name in staff_urlpatterns + pp_urlpatterns
]

__all__ = ["app_name", "urlpatterns"]
