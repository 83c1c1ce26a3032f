from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "liuqing.mediation"
    label = "mediation"
    verbose_name = _("Dispute mediation")

    def ready(self) -> None:
        # Imported for their side effects: the "dispute" workflow of the casework engine and
        # its access policies, the menu entries, the dispute figures of the dashboard and the
        # confirmation-reminder worker job.
        from liuqing.mediation import jobs, kpis, nav, workflow  # noqa: F401
