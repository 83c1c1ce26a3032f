from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liuqing.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from liuqing.core import policies  # noqa: F401  (registers the core object kinds)
