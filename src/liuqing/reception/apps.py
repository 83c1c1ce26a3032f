from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    name = "liuqing.reception"
    label = "reception"
    verbose_name = _("Reception desk and talk points")

    def ready(self) -> None:
        # Imported for their side effects: the access policies and the menu entries.
        from liuqing.reception import nav, policies  # noqa: F401
