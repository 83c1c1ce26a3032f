from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "liuqing.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Imported for their side effects: the channel adapters and the delivery worker job.
        from liuqing.notify import adapters, channels, jobs  # noqa: F401
