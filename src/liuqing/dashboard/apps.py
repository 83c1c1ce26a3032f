from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "liuqing.dashboard"
    label = "dashboard"
    verbose_name = _("Six-situation board")

    def ready(self) -> None:
        # Imported for its side effect: the menu entry of the board.
        from liuqing.dashboard import nav  # noqa: F401
