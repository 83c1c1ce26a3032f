"""URLs of the import engine, in the "imports" namespace, mounted at the site root."""

from liuqing.imports.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
