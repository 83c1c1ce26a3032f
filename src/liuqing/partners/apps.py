from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "liuqing.partners"
    label = "partners"
    verbose_name = _("Safety partners")

    def ready(self) -> None:
        # Imported for their side effects: the access policies, the menu entries, the
        # dashboard figures, the worker job, and notify's resolver of "partner:<pk>".
        from liuqing.notify import channels
        from liuqing.partners import jobs, kpis, nav, policies, services  # noqa: F401

        channels.register_resolver("partner", services.contact)
