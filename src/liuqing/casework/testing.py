"""Test helpers of the casework engine, importable by any app's tests and by the permission
matrix: a workflow kind "test" (the standard lifecycle), a category for it, and shortcuts that
drive a case through the real services.

Importing this module registers the "test" workflow (never imported in production code).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from liuqing.casework import services
from liuqing.casework.calendar import WorkCalendar
from liuqing.casework.models import Case, Category, FollowUp
from liuqing.casework.workflows import Workflow, register, standard_transitions
from liuqing.core.models import Member, Role, Unit
from liuqing.core.testing import make_member

TEST_KIND = "test"

TEST_WORKFLOW = register(
    Workflow(
        kind=TEST_KIND,
        prefix="TS",
        label=_("Test case"),
        transitions=standard_transitions(),
        accept_hours=8,
        contact_hours=16,
        resolve_days=10,
        followup_days=3,
    )
)

_numbers = itertools.count(1)


def make_category(
    code: str = "general", *, kind: str = TEST_KIND, parent: Category | None = None, **sla: Any
) -> Category:
    """The category `code` of `kind`, created on first use (SLA fields as keyword arguments)."""
    category, _created = Category.objects.get_or_create(
        kind=kind,
        code=code,
        defaults={"name": f"{code} category", "parent": parent, **sla},
    )
    return category


def member_at(unit: Unit, role: str, name: str = "") -> Member:
    """A member with `role` at `unit` (one per unit, role and name, made on first use)."""
    username = f"cw_{name or role}_{unit.pk}".lower()[:64]
    found = Member.objects.filter(username=username).first()
    return found or make_member(unit, [role], username)


def root_staff(unit: Unit) -> Member:
    """A detachment-staff member at the root of `unit`'s tree, who can open cases anywhere."""
    root = Unit.objects.get(path=unit.path.split(".")[0] + ".")
    return member_at(root, Role.DETACHMENT_STAFF, "root")


def open_test_case(
    unit: Unit,
    *,
    actor: Member | None = None,
    title: str = "",
    category: Category | None = None,
    received_at: dt.datetime | None = None,
    **fields: Any,
) -> Case:
    """Open a case of kind "test" at `unit` through the service."""
    return services.open_case(
        actor=actor if actor is not None else root_staff(unit),
        kind=TEST_KIND,
        unit=unit,
        category=category or make_category(),
        title=title or f"Test case {next(_numbers)}",
        description="A test matter.",
        received_at=received_at,
        **fields,
    )


def case_in_progress(unit: Unit, *, title: str = "", owner: Member | None = None) -> Case:
    """Open, accept, assign and start a test case; returns it in progress."""
    case = open_test_case(unit, title=title)
    sergeant = member_at(unit, Role.SERGEANT)
    owner = owner or member_at(unit, Role.OFFICER)
    services.act_on_case(actor=sergeant, case=case, action="accept")
    services.assign_case(actor=sergeant, case=case, owner=owner)
    services.act_on_case(actor=owner, case=case, action="start")
    return case


def closed_case(unit: Unit, *, title: str = "") -> tuple[Case, FollowUp]:
    """A test case resolved by its officer and verified by a sergeant; returns it with its
    scheduled follow-up."""
    case = case_in_progress(unit, title=title)
    assert case.owner is not None
    services.act_on_case(actor=case.owner, case=case, action="resolve", note="Done.")
    services.act_on_case(actor=member_at(unit, Role.SERGEANT), case=case, action="verify")
    return case, case.followups.get()


def close_and_follow_up(
    case: Case,
    *,
    handler: Member,
    supervisor: Member,
    resolution: str,
    followup_note: str,
    method: str = "",
) -> FollowUp:
    """Resolve `case` as `handler` with a public `resolution`, verify it as `supervisor`, and
    record a satisfied, resolved follow-up with `followup_note`; returns the follow-up."""
    services.act_on_case(actor=handler, case=case, action="resolve", note=resolution, public=True)
    services.act_on_case(actor=supervisor, case=case, action="verify")
    return services.record_followup(
        actor=supervisor,
        followup=case.followups.get(),
        satisfaction="satisfied",
        resolved=True,
        note=followup_note,
        method=method,
    )


def shanghai_calendar(
    overrides: dict[dt.date, bool] | None = None, years: Any = ()
) -> WorkCalendar:
    """A calendar in the deployment's time zone with the given schedule (tests pin it with
    `liuqing.casework.calendar.use_calendar`)."""
    return WorkCalendar(overrides or {}, years, ZoneInfo(settings.TIME_ZONE))


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG image (grey pixels)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_upload(name: str = "photo.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def make_overdue(cases: Any, escalation: int = 1) -> None:
    """Move the deadline of `cases` (a queryset or a case) into the past, far enough for the
    escalation asked for: red and 1 (an hour of working time late), or red and 2 (a working
    week late). Levels are not stored; the deadline is what makes them."""
    from django.utils import timezone

    from liuqing.casework.calendar import SECONDS_PER_DAY, get_calendar

    late = 3600 if escalation < 2 else 5 * SECONDS_PER_DAY
    due = get_calendar().add_working_time(timezone.now(), -late)
    qs = Case.objects.filter(pk=cases.pk) if isinstance(cases, Case) else cases
    qs.update(resolve_due=due)
