"""Test helpers of dispute mediation, importable by any app's tests and by the permission
matrix: committees, dispute types, and shortcuts that drive a dispute through the real
services to each stage."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from liuqing.casework.models import Case, Category
from liuqing.casework.testing import member_at, root_staff
from liuqing.core.models import Member, Role, Unit
from liuqing.mediation import followup, services
from liuqing.mediation.defaults import KIND, ensure_default_types
from liuqing.mediation.models import Agreement, Committee, Level, MediatorKind, PartyRole, Source

_numbers = itertools.count(1)

APPLICANT = {
    "role": PartyRole.APPLICANT,
    "name": "王建军",
    "phone": "13912345678",
    "id_number": "11010519491231002X",
    "address": "幸福村三组12号",
}
RESPONDENT = {
    "role": PartyRole.RESPONDENT,
    "name": "艾力·买买提",
    "phone": "13800001111",
    "address": "幸福村三组14号",
}


def dispute_type(code: str = "neighbours") -> Category:
    ensure_default_types()
    return Category.objects.get(kind=KIND, code=code)


def committee(unit: Unit, level: str = Level.VILLAGE, name: str = "") -> Committee:
    """The committee `name` (default: by level) of `unit`, made on first use."""
    name = name or f"{unit.name}{Level(level).label}"[:100]
    found, _created = Committee.objects.get_or_create(
        unit=unit, name=name, defaults={"level": level}
    )
    return found


def handler(unit: Unit) -> Member:
    return member_at(unit, Role.OFFICER)


def start(
    unit: Unit,
    *,
    title: str = "",
    code: str = "neighbours",
    at: Committee | None = None,
    received_at: dt.datetime | None = None,
    actor: Member | None = None,
) -> Case:
    """A dispute received at `unit` (a party applied), with an applicant and a respondent."""
    return services.start_dispute(
        actor=actor or root_staff(unit),
        unit=unit,
        committee=at or committee(unit),
        dispute_type=dispute_type(code),
        source=Source.APPLICATION,
        title=title or f"邻里纠纷 {next(_numbers)}",
        facts="两户因院墙排水发生争执。",
        claims="赔偿损失并改建排水沟。",
        amount=Decimal("3000"),
        parties=[APPLICANT, RESPONDENT],
        received_at=received_at,
    )


def accepted(unit: Unit, **kwargs: Any) -> Case:
    case = start(unit, **kwargs)
    officer = handler(unit)
    services.accept_dispute(actor=officer, case=case)
    services.add_mediator(actor=officer, case=case, kind=MediatorKind.OFFICER, member=officer)
    return case


def in_mediation(unit: Unit, **kwargs: Any) -> Case:
    case = accepted(unit, **kwargs)
    services.record_session(
        actor=handler(unit),
        case=case,
        held_at=timezone.now(),
        location="村调解室",
        attendees="双方当事人、调解员",
        minutes="双方陈述了意见。",
    )
    return case


def obligation_rows(
    case: Case, *, amount: str | None = "2000.00", days: int = 10
) -> list[dict[str, Any]]:
    parties = {p.role: p.pk for p in case.dispute.parties.all()}
    return [
        {
            "obligor": parties[PartyRole.RESPONDENT],
            "obligee": parties[PartyRole.APPLICANT],
            "action": "赔偿院墙损失",
            "amount": amount,
            "method": "现金一次付清",
            "due_date": timezone.localdate() + dt.timedelta(days=days),
        }
    ]


def agree(
    case: Case, *, written: bool = True, amount: str | None = "2000.00", days: int = 10
) -> Agreement:
    return services.record_agreement(
        actor=handler(case.unit),
        case=case,
        written=written,
        facts="被申请人改建院墙时排水沟堵塞，致申请人院内积水。",
        matters="损失赔偿及排水沟改建。",
        responsibilities="被申请人负主要责任。",
        content="被申请人赔偿申请人损失，并于十日内疏通排水沟。",
        obligations=obligation_rows(case, amount=amount, days=days),
        parties_signed=written,
        mediator_signed=written,
        sealed=written,
    )


def agreed(unit: Unit, **kwargs: Any) -> tuple[Case, Agreement]:
    written = kwargs.pop("written", True)
    case = in_mediation(unit, **kwargs)
    return case, agree(case, written=written)


def confirmed_application(unit: Unit, **kwargs: Any) -> tuple[Case, Agreement]:
    case, agreement = agreed(unit, **kwargs)
    followup.apply_confirmation(
        actor=handler(unit),
        agreement=agreement,
        applied_on=timezone.localdate(),
        court="伊宁市人民法院",
    )
    return case, agreement
