"""URLs of the Open311 GeoReport v2 server, mounted at /open311/v2/ by liuqing/urls.py.

Every path ends in its format (.xml or .json; anything else is a 404 `errors` document), and
whatever else is asked under /open311/v2/ is a 404 `errors` document too.
"""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.services, name="services"),
    re_path(
        rf"^services/(?P<code>[^/]+?){FMT}$", views.service_definition, name="service_definition"
    ),
    re_path(rf"^requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+?){FMT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){FMT}$", views.token, name="token"),
    re_path(rf"^servicerequestupdates{FMT}$", views.updates, name="updates"),
    re_path(
        r"^media/(?P<token>[0-9]{1,18}-[0-9a-f]{32})\.(?P<ext>jpg|png)$",
        views.media,
        name="media",
    ),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
