from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "liuqing.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # Imported for their side effects: the case and calendar access policies, the menu
        # entries and the SLA sweep's worker job.
        from liuqing.casework import calendar_services, jobs, nav, policies  # noqa: F401
