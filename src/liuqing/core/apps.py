from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liuqing.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Imported for their side effects: the core object kinds' access policies, and the
        # structure pages' menu entries.
        from liuqing.core import policies, structure_nav  # noqa: F401
