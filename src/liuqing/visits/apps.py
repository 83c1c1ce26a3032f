from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "liuqing.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # Imported for their side effects: the access policies, the "place" target kind
        # (villages, communities and other places of core), the menu entries and the
        # "visits due this week" section of the my-work queue.
        from liuqing.visits import nav, places, policies, queue  # noqa: F401
