from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liuqing.liaison"
    label = "liaison"
    verbose_name = _("Liaison")

    def ready(self) -> None:
        # Imported for their side effects: the "liaison_problem" workflow of the casework
        # engine and the access policies, the "organisation" target kind of the visits
        # engine, the menu entries and the dashboard figures.
        from liuqing.liaison import kpis, nav, targets, workflow  # noqa: F401
