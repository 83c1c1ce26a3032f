"""URLs of dispute mediation, in the "mediation" namespace, mounted at the site root."""

from liuqing.mediation.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
