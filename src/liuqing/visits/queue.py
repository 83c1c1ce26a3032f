"""The my-work queue's "visits due this week" (registered from VisitsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuqing.casework.queue_hooks import QueueItem, QueueSection, register
from liuqing.visits import selectors


def _rows(member: Any, size: int) -> tuple[list[QueueItem], int]:
    plans = selectors.due_for(member)
    today = timezone.localdate()
    items = [
        QueueItem(
            url=reverse("visits:plan", kwargs={"pk": plan.pk}),
            title=plan.title,
            detail=(_("overdue since %(day)s") if plan.next_due < today else _("due by %(day)s"))
            % {"day": plan.next_due.isoformat()},
            overdue=plan.next_due < today,
        )
        for plan in plans[:size]
        if plan.next_due is not None
    ]
    return items, plans.count()


register(QueueSection(key="visits_due", title=gettext_lazy("Visits due this week"), rows=_rows))
