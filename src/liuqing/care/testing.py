"""Test helpers of the care register, importable by any app's tests and by the permission
matrix: grants and recipients made through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from liuqing.care import services
from liuqing.care.models import Recipient
from liuqing.casework.testing import member_at, root_staff
from liuqing.core import access
from liuqing.core import services as core_services
from liuqing.core.models import Member, Role, SensitiveGrant, Unit


def grant(member: Member, *labels: str) -> Member:
    """Give `member` the grants for `labels` ("care" by default), through the real service
    (a second detachment-staff member at the root grants them)."""
    granter = member_at(root_staff(member.unit).unit, Role.DETACHMENT_STAFF, "granter")
    for label in labels or ("care",):
        if not SensitiveGrant.objects.filter(
            member=member, label=label, revoked_at__isnull=True
        ).exists():
            core_services.grant_sensitive(actor=granter, member=member, label=label)
    if hasattr(member, "_label_cache"):
        del member._label_cache
    return member


def carer(unit: Unit) -> Member:
    """A root staff member holding every care-related grant."""
    return grant(root_staff(unit), "care", "minor", "disability", "health", "domestic_violence")


def register(unit: Unit, **over: Any) -> Recipient:
    """A recipient at `unit`, registered by a root staff member with the grants."""
    data: dict[str, Any] = {
        "category": "elderly_alone",
        "name": "王秀兰",
        "phone": "13800001234",
        "address": "幸福路 8 号",
        "notes": "高血压，需每周送药",
        "legal_basis": "consent",
        "basis_recorded_on": dt.date(2026, 1, 2),
        **over,
    }
    return services.register_recipient(actor=carer(unit), unit=unit, **data)


__all__ = ["access", "carer", "grant", "register"]
