from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "liuqing.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Imported for their side effects: the access policies, the incident ledger kind of
        # the import engine, the menu entries and the dashboard figures.
        from django.core import checks

        from liuqing.incidents import kpis, ledger, nav, policies  # noqa: F401
        from liuqing.incidents.thresholds import check_emerging_settings

        checks.register(check_emerging_settings)
