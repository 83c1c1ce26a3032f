"""URLs of the reception desk and talk points, in the "reception" namespace."""

from liuqing.reception.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
