from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "liuqing.imports"
    label = "imports"
    verbose_name = _("Ledger imports")

    def ready(self) -> None:
        # The access policies of runs and mappings, and the menu entry.
        from liuqing.imports import nav, policies  # noqa: F401
