from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    name = "liuqing.reception"
    label = "reception"
    verbose_name = _("Reception desk and talk points")

    def ready(self) -> None:
        # Imported for their side effects: the access policies, the menu entries and the
        # deploy check of the complaint routing.
        from liuqing.reception import nav, policies, supervision  # noqa: F401
