from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from liuqing.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("liuqing.appeals.open311.urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("liuqing.core.urls")),
    path("", include("liuqing.casework.urls")),
    path("", include("liuqing.notify.urls")),
    path("", include("liuqing.appeals.urls")),
    path("", include("liuqing.imports.urls")),
    path("", include("liuqing.incidents.urls")),
    path("", include("liuqing.visits.urls")),
    path("", include("liuqing.care.urls")),
    path("", include("liuqing.liaison.urls")),
    path("", include("liuqing.mediation.urls")),
    path("", include("liuqing.reception.urls")),
    path("", include("liuqing.partners.urls")),
    path("", include("liuqing.dashboard.urls")),
]

handler400 = "liuqing.core.views.errors.bad_request"
handler403 = "liuqing.core.views.errors.permission_denied"
handler404 = "liuqing.core.views.errors.page_not_found"
handler500 = "liuqing.core.views.errors.server_error"
