from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "liuqing.care"
    label = "care"
    verbose_name = _("Care register")

    def ready(self) -> None:
        # Imported for their side effects: the access policy, the "care_recipient" target
        # kind of the visits engine, the menu entries and the dashboard figures.
        from liuqing.care import kpis, nav, policies, targets  # noqa: F401
