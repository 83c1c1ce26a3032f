"""The one scoping mechanism: what a member may see and do, decided by jurisdiction and role.

* **Where.** A member sees what their unit's subtree owns. Rows outside it do not exist for
  them: lists leave them out, and fetching one answers 404.
* **What.** Each registered object kind says which roles may `view` it and which may `change`
  it (`POLICIES`). In scope but without the role → 403. The auditor holds `view` on every
  kind and `change` on none (read-only).
* **Residents' data.** Kinds marked `resident_data` are invisible to the system administrator,
  who manages the structure (units, members) but never reads residents' records.
* **Sensitive labels.** A row carrying labels (care register, domestic violence, minors,
  health, disability) is visible only to members holding an active grant for every label.

Selectors call `scope()` for lists and `access()` for one object; views and API operations use
those selectors. Modules register their kinds with `register()`; the generated permission
matrix (core/tests/test_permission_matrix.py) then checks every URL against this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Member, Role, SensitiveGrant, Unit

M = TypeVar("M", bound=models.Model)

VIEW = "view"
CHANGE = "change"

ALL_STAFF = frozenset(Role.values)
SUPERVISORS = frozenset(
    {Role.SERGEANT, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF}
)
CHIEFS = frozenset({Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF})


class AccessDenied(Exception):
    """In scope, but the member's roles do not allow this action (HTTP 403)."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("You do not have permission to do this."))


class NotFound(Exception):
    """Outside the member's jurisdiction, or does not exist (HTTP 404)."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("Not found."))


@dataclass(frozen=True)
class Policy:
    """Who may do what to one kind of object, and where its unit is found."""

    kind: str
    model: type[models.Model]
    view: frozenset[str]
    change: frozenset[str]
    unit_field: str = "unit"  # path from the object to its owning Unit ("" = the unit itself)
    path_field: str = ""  # or: a field holding the owning unit's path as text (audit events)
    resident_data: bool = False
    # The root's lists drop the unit range (its subtree is every unit). Right for rows listed
    # by their own columns (cases by date); wrong for rows listed in tree order (members by
    # unit path), whose lists walk the unit path index.
    root_skips_range: bool = False
    # Returns a Q matching rows whose labels the member may NOT see (None = no labels).
    sensitive_q: Callable[[frozenset[str]], Q] | None = None
    labels_of: Callable[[Any], Iterable[str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def roles_for(self, action: str) -> frozenset[str]:
        roles = self.view if action == VIEW else self.change
        # The auditor sees every kind and changes none.
        roles = roles | {Role.AUDITOR} if action == VIEW else roles - {Role.AUDITOR}
        if self.resident_data:
            roles = roles - {Role.SYSADMIN}
        return roles

    def path_lookup(self) -> str:
        if self.path_field:
            return self.path_field
        return f"{self.unit_field}__path" if self.unit_field else "path"


POLICIES: dict[str, Policy] = {}


def register(policy: Policy) -> Policy:
    POLICIES[policy.kind] = policy
    return policy


def policy_for(kind: str) -> Policy:
    return POLICIES[kind]


def member_roles(member: Member) -> frozenset[str]:
    return member.role_set


def can(member: Member, kind: str, action: str) -> bool:
    """Whether the member's roles allow `action` on `kind` anywhere in their jurisdiction."""
    if not member.is_authenticated or not member.is_active:
        return False
    return bool(member_roles(member) & policy_for(kind).roles_for(action))


def active_labels(member: Member) -> frozenset[str]:
    cached = getattr(member, "_label_cache", None)
    if cached is None:
        now = timezone.now()
        cached = frozenset(
            SensitiveGrant.objects.filter(member=member, revoked_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("label", flat=True)
        )
        member._label_cache = cached  # type: ignore[attr-defined]
    return cached


def subtree_q(unit: Unit, lookup: str = "path") -> Q:
    low, high = unit.subtree_range()
    return Q(**{f"{lookup}__gte": low, f"{lookup}__lt": high})


def covers_everything(unit: Unit) -> bool:
    """True when `unit` is the one root of the tree (its subtree is every unit). One
    indexed query; a second root (another detachment) makes it False."""
    return unit.depth == 0 and not Unit.objects.filter(depth=0).exclude(pk=unit.pk).exists()


# Up to this many units, a subtree is named by its unit ids (see `Subtree`).
MAX_UNIT_IDS = 2000


def subtree_unit_ids(unit: Unit, limit: int | None = MAX_UNIT_IDS) -> tuple[int, ...] | None:
    """The ids of `unit` and the units below it, in path order (one query on the path
    index), or None when there are more than `limit` (`limit=None`: however many)."""
    units = Unit.objects.filter(subtree_q(unit)).order_by("path").values_list("pk", flat=True)
    ids = tuple(units if limit is None else units[: limit + 1])
    return ids if limit is None or len(ids) <= limit else None


@dataclass(frozen=True)
class Subtree:
    """A unit and everything below it, worked out once for the queries of one reading (a
    list, a set of figures): `everything` for the only root (no condition at all), else its
    unit ids (`unit_ids`, in path order; None past the `limit` given to `of`) and always its
    path range.

    Why ids: with the ids as constants a database seeks each unit's rows in an index led by
    the unit (and SQLite walks a list's sort index newest first and stops after a page),
    where a join on the units' path range reads every row of every unit of the subtree
    first. Past a few thousand units the list of constants costs more than the join."""

    everything: bool
    unit_ids: tuple[int, ...] | None
    path_range: tuple[str, str]

    @classmethod
    def of(cls, unit: Unit, limit: int | None = MAX_UNIT_IDS) -> Subtree:
        """The subtree of `unit`: one query for the only root, two otherwise. `limit=None`
        names every unit however many."""
        if covers_everything(unit):
            return cls(True, None, unit.subtree_range())
        return cls(False, subtree_unit_ids(unit, limit), unit.subtree_range())

    def q(self, prefix: str = "") -> Q:
        """Rows owned by a unit of the subtree, their unit reached through `prefix` (e.g.
        "case__" for rows of a case): no condition for the only root, else the unit ids,
        else the path range (a join on the units)."""
        if self.everything:
            return Q()
        if self.unit_ids is not None:
            return Q(**{f"{prefix}unit_id__in": self.unit_ids})
        low, high = self.path_range
        return Q(**{f"{prefix}unit__path__gte": low, f"{prefix}unit__path__lt": high})


def _owned_q(policy: Policy) -> Q:
    """Rows that belong to some unit (what the path range of the root matches)."""
    return Q(**{f"{policy.unit_field}__isnull": False})


def in_jurisdiction(member: Member, unit: Unit) -> bool:
    return member.unit.is_ancestor_of(unit)


def scope(
    queryset: models.QuerySet[M], member: Member, kind: str, action: str = VIEW
) -> models.QuerySet[M]:
    """Rows of `kind` in the member's jurisdiction that they may see; empty if they may not.

    One indexed range condition on the owning unit's path, plus the sensitive-label filter.
    """
    policy = policy_for(kind)
    if not can(member, kind, action):
        return queryset.none()
    if (
        policy.root_skips_range
        and policy.unit_field
        and not policy.path_field
        and covers_everything(member.unit)
    ):
        # The only root: its subtree is every unit, so the path range would only cost a join
        # and a seek per unit (a detachment's list would walk thousands of units).
        qs = queryset.filter(_owned_q(policy))
    else:
        qs = queryset.filter(subtree_q(member.unit, policy.path_lookup()))
    if policy.sensitive_q is not None:
        qs = qs.exclude(policy.sensitive_q(active_labels(member)))
    return qs


def unit_of(obj: models.Model, policy: Policy) -> Unit:
    target: Any = obj
    if policy.unit_field:
        for part in policy.unit_field.split("__"):
            target = getattr(target, part)
    assert isinstance(target, Unit)
    return target


def check(member: Member, obj: models.Model, kind: str, action: str = VIEW) -> None:
    """Raise NotFound outside jurisdiction (or hidden by a label), AccessDenied without role."""
    policy = policy_for(kind)
    if not member.is_authenticated or not member.is_active:
        raise NotFound
    if policy.path_field:
        if not str(getattr(obj, policy.path_field)).startswith(member.unit.path):
            raise NotFound
    elif not in_jurisdiction(member, unit_of(obj, policy)):
        raise NotFound
    if policy.labels_of is not None:
        needed = set(policy.labels_of(obj))
        if needed - active_labels(member):
            raise NotFound
    if not can(member, kind, VIEW):
        raise AccessDenied
    if action != VIEW and not can(member, kind, action):
        raise AccessDenied(_("You can look at this, but not change it."))


def access(
    member: Member,
    queryset: models.QuerySet[M],
    kind: str,
    pk: Any,
    *,
    for_write: bool = False,
) -> M:
    """Fetch one object by primary key with the full check (404 outside scope, 403 read-only)."""
    try:
        obj = queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotFound from exc
    check(member, obj, kind, CHANGE if for_write else VIEW)
    return obj
