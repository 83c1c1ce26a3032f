"""Test helpers of appeals, importable by any app's tests and by the permission matrix:
categories, and shortcuts that record appeals and drive them through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from liuqing.appeals import services
from liuqing.appeals.models import AppealChannel
from liuqing.appeals.workflow import APPEAL
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Category, FollowUp
from liuqing.casework.testing import member_at, root_staff
from liuqing.core.models import Member, Role, Unit

_numbers = itertools.count(1)


def appeal_category(
    code: str = "test.general", *, parent: Category | None = None, **fields: Any
) -> Category:
    """The appeal category `code`, created on first use (fields as keyword arguments)."""
    category, _created = Category.objects.get_or_create(
        kind=APPEAL,
        code=code,
        defaults={"name": f"{code} 类", "parent": parent, **fields},
    )
    return category


def submit(
    unit: Unit,
    *,
    actor: Member | None = None,
    title: str = "",
    description: str = "",
    category: Category | None = None,
    channel: str = AppealChannel.HOME_VISIT,
    received_at: dt.datetime | None = None,
    **fields: Any,
) -> Case:
    """Record an appeal at `unit` through `submit_appeal` (as a root staff member unless an
    actor is given)."""
    n = next(_numbers)
    return services.submit_appeal(
        actor=actor if actor is not None else root_staff(unit),
        unit=unit,
        category=category or appeal_category(),
        title=title or f"Appeal {n}",
        description=description or f"The resident's request number {n}.",
        channel=channel,
        received_at=received_at,
        **fields,
    )


def in_progress(unit: Unit, *, title: str = "", owner: Member | None = None) -> Case:
    """An appeal accepted, assigned to an officer of `unit` and started."""
    case = submit(unit, title=title)
    sergeant = member_at(unit, Role.SERGEANT)
    owner = owner or member_at(unit, Role.OFFICER)
    casework.act_on_case(actor=sergeant, case=case, action="accept")
    casework.assign_case(actor=sergeant, case=case, owner=owner)
    casework.act_on_case(actor=owner, case=case, action="start")
    return case


def closed(unit: Unit, *, title: str = "") -> tuple[Case, FollowUp]:
    """An appeal resolved by its officer and verified by the sergeant, with its follow-up."""
    case = in_progress(unit, title=title)
    assert case.owner is not None
    casework.act_on_case(actor=case.owner, case=case, action="resolve", note="Fixed.")
    casework.act_on_case(actor=member_at(unit, Role.SERGEANT), case=case, action="verify")
    return case, case.followups.get()
