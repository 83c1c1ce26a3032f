from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "liuqing.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        # Imported for their side effects: the "appeal" workflow of the casework engine, the
        # access policies of appeals and their categories, and the menu entries.
        from liuqing.appeals import nav, workflow  # noqa: F401
