"""Staff pages of the casework engine (mounted at the site root by liuqing/urls.py): the case
pages (views.py) and the working-day calendar pages (calendar_admin.py)."""

from liuqing.casework.calendar_admin import calendar_urlpatterns
from liuqing.casework.views import urlpatterns as case_urlpatterns

app_name = "casework"

urlpatterns = [*case_urlpatterns, *calendar_urlpatterns]
