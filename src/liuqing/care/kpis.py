"""The care register's figures on the dashboard (KPIS.md, care), registered with
core.figures: recipients by category (registered before the period's end and still on the
register), visits done on time ÷ visits due in the period, and overdue visits now.

Only members who see the register (the role and the care grant) see the section; its figures
count the recipients and plans their grants show them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.analytics import care as formulas
from liuqing.analytics.rates import Rate
from liuqing.care.models import CARE_LABEL, Recipient, RecipientCategory
from liuqing.care.policies import CARE_RECIPIENT
from liuqing.care.targets import CARE_RECIPIENT_TARGET
from liuqing.core import access
from liuqing.core.figures import FigureSection, Reading, register
from liuqing.visits import selectors as visit_selectors


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def compute(
    member: Any, unit: Any, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> Sequence[Reading]:
    recipients = (
        access.scope(Recipient.objects.all(), member, CARE_RECIPIENT)
        .filter(access.subtree_q(unit, "unit__path"), is_active=True, registered_at__lt=end)
        .values_list("category", flat=True)
    )
    categories = list(RecipientCategory.values)
    counts = formulas.by_category(
        formulas.category_codes(list(recipients), categories), len(categories)
    )
    readings = [
        Reading(key=f"recipients.{code}", label=label, value=n)
        for (code, label), n in zip(RecipientCategory.choices, counts, strict=True)
    ]
    figures = visit_selectors.visit_figures(
        member, CARE_RECIPIENT_TARGET, unit, _day(start), _day(end), _day(as_of)
    )
    readings += [
        Reading(
            key="visits_on_time",
            label=_("Visits done on time"),
            value=Rate(figures.on_time, figures.due),
            rise_is_good=True,
        ),
        Reading(
            key="visits_overdue",
            label=_("Overdue visits now"),
            value=figures.overdue_now,
            rise_is_good=False,
        ),
    ]
    return readings


def visible(member: Any) -> bool:
    return access.can(member, CARE_RECIPIENT, access.VIEW) and CARE_LABEL in access.active_labels(
        member
    )


SECTION = register(
    FigureSection(
        key="care",
        qing="minqing",
        label=_("Care register"),
        compute=compute,
        visible=visible,
        order=20,
    )
)
