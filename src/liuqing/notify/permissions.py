"""Permission-matrix declarations of the notification inbox (see liuqing.core.matrix).

Every member has an inbox of their own and nobody else's: the routes are `self_only`, and
marking someone else's notification read answers 404 to every role.
"""

from __future__ import annotations

from typing import Any

from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit
from liuqing.core.testing import make_member
from liuqing.notify.models import Delivery
from liuqing.notify.services import deliver_due, publish


def _someone_elses(world: Any, unit: Unit, marker: str) -> tuple[dict[str, Any], str]:
    owner = make_member(unit, [Role.OFFICER], f"inbox_{marker}_{unit.pk}".lower()[:64])
    publish(kind="matrix", subject=marker, members=[owner], dedupe_key=f"matrix:{marker}")
    deliver_due()
    delivery = Delivery.objects.get(member=owner, dedupe_key=f"matrix:{marker}")
    return {"pk": delivery.pk}, marker


TARGETS: dict[str, TargetFactory] = {"notification": _someone_elses}

PUBLIC: set[str] = set()

ROUTES: list[Route] = [
    Route(name="notify:inbox", kind=None, self_only=True),
    Route(name="notify:mark_all_read", kind=None, method="POST", self_only=True),
    Route(name="notify:mark_read", kind=None, method="POST", self_only=True, target="notification"),
    Route(name="list_notifications", kind=None, api=True, self_only=True),
    Route(
        name="mark_notification_read",
        kind=None,
        api=True,
        method="POST",
        self_only=True,
        target="notification",
    ),
]
