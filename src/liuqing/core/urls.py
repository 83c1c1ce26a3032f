"""Staff pages of core. Each views module exports its own `urlpatterns`."""

from liuqing.core.views import auth, structure

app_name = "core"

urlpatterns = [*auth.urlpatterns, *structure.urlpatterns]
