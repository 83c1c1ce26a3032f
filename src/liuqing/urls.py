from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from liuqing.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("liuqing.core.urls")),
]

handler400 = "liuqing.core.views.errors.bad_request"
handler403 = "liuqing.core.views.errors.permission_denied"
handler404 = "liuqing.core.views.errors.page_not_found"
handler500 = "liuqing.core.views.errors.server_error"
