from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "liuqing.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Imported for their side effects: the access policies, the incident ledger kind of
        # the import engine, the menu entries and the dashboard figures.
        from liuqing.incidents import kpis, ledger, nav, policies  # noqa: F401
