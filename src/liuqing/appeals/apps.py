from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "liuqing.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        # Imported for their side effects: the "appeal" workflow of the casework engine, the
        # access policies of appeals and their categories, the menu entries and the board's
        # figure section.
        from liuqing.appeals import figures, nav, signals, workflow  # noqa: F401

        signals.connect()  # the search documents follow their cases
