"""URLs of incidents, in the "incidents" namespace, mounted at the site root."""

from liuqing.incidents.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
