"""Who handles a complaint about police conduct: the routing rule of the supervision queue.

A complaint goes to a queue outside the unit it is about, and no member of that unit (or of
a unit below it) ever sees it:

* about a grid or community office: the station it lies under is the one concerned, and the
  complaint goes to the unit above that station (its brigade);
* about a station: the unit above it (its brigade, or the station above it);
* about a brigade: the detachment;
* about the detachment itself (a top unit, with no unit above it in Liuqing): the
  complaint stays in the detachment's own queue, where only its **designated supervisors**
  see and handle it: the active members of that detachment who hold a supervising role
  (detachment staff, brigade staff or station chief) and whose user names the setting
  ``RECEPTION_TOP_SUPERVISORS`` lists (the detachment's police-inspection (督察) members who
  take no part in its daily work). No one else at the detachment, and no one below it, sees
  such a complaint. When the setting names no such member, the complaint is never left
  without a handler: every supervising member of the detachment sees it, the page says that
  no designated supervisor exists, and ``check --deploy --database default`` warns
  (``reception.W001``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from liuqing.core.models import Member, Role, Unit, UnitKind

SUPERVISION = frozenset({Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF, Role.STATION_CHIEF})


def supervising_unit(about: Unit) -> Unit:
    """The unit whose queue receives a complaint about `about` (see the module's rule)."""
    station = about
    if about.kind not in {UnitKind.DETACHMENT, UnitKind.BRIGADE, UnitKind.STATION}:
        station = next(
            (u for u in reversed(list(about.ancestors())) if u.kind == UnitKind.STATION), about
        )
    return station.parent or station


def designated_names() -> frozenset[str]:
    raw = getattr(settings, "RECEPTION_TOP_SUPERVISORS", ())
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(name.strip() for name in raw if name and name.strip())


def top_supervisors(top: Unit) -> list[Member]:
    """The designated supervisors of the top unit `top`: active members of `top` itself with
    a supervising role whose user names ``RECEPTION_TOP_SUPERVISORS`` lists."""
    names = designated_names()
    if not names:
        return []
    return list(
        Member.objects.filter(
            unit=top,
            is_active=True,
            username__in=sorted(names),
            role_grants__role__in=sorted(SUPERVISION),
        )
        .distinct()
        .order_by("username")
    )


def has_designated(top: Unit) -> bool:
    return bool(top_supervisors(top))


def handles_top(member: Member) -> bool:
    """Whether `member` handles complaints about their own unit, a top unit: a designated
    supervisor there, or, while it has none, any supervising member of it."""
    unit = member.unit
    if unit.parent_id is not None or not member.is_active or not member.has_role(*SUPERVISION):
        return False
    cache = getattr(member, "_handles_top", None)
    if cache is None:
        designated = top_supervisors(unit)
        cache = not designated or any(m.pk == member.pk for m in designated)
        member._handles_top = cache  # type: ignore[attr-defined]
    return bool(cache)


def concerned_units(member: Member) -> list[int]:
    """The units whose complaints `member` may never see: their own unit and every unit above
    it, except the top unit for the member who handles complaints about it."""
    unit = member.unit
    own = [*unit.ancestors().values_list("pk", flat=True), unit.pk]
    if handles_top(member):
        own.remove(unit.pk)
    return own


def is_concerned(member: Member, about: Unit) -> bool:
    """True when a complaint about `about` concerns `member`'s own line (they may not see
    it): `about` is their unit or above it, unless they handle the top unit's complaints."""
    if not about.is_ancestor_of(member.unit):
        return False
    return not (about.pk == member.unit_id and handles_top(member))


@checks.register(checks.Tags.security, deploy=True)
def check_top_supervisors(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Deploy check: every top unit needs a designated supervisor for complaints about it
    (a database check: it runs when the command names a database)."""
    from django.db import DatabaseError

    if not databases:
        return []
    try:
        tops = list(Unit.objects.filter(parent__isnull=True))
        missing = [top.name for top in tops if not has_designated(top)]
    except DatabaseError:
        return []
    if not missing:
        return []
    return [
        checks.Warning(
            "No designated supervisor for complaints about "
            + ", ".join(missing)
            + ": every supervising member of that unit sees them.",
            hint="List the user names of its police-inspection members in "
            "RECEPTION_TOP_SUPERVISORS (they need a supervising role at that unit).",
            id="reception.W001",
        )
    ]
