"""The notification inbox pages (mounted at the site root by liuqing/urls.py)."""

from liuqing.notify.views import urlpatterns

app_name = "notify"

__all__ = ["app_name", "urlpatterns"]
