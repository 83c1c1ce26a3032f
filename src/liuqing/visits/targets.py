"""What a plan can visit: target kinds registered by modules.

The engine imports no module. A module registers each kind of thing it wants visited (the
care register its recipients, liaison its organisations) with a `TargetKind`: how to find
one target for a member (inside their jurisdiction, or NotFound), and what to offer in a
plan form. The engine itself registers core's places (villages, communities, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from liuqing.core.models import Member, Unit


@dataclass(frozen=True)
class Target:
    """One target as the engine needs it: its unit, a title without personal data, the
    sensitive label that hides it ("" for none) and the module's page for it."""

    unit: Unit
    title: str
    sensitive_label: str = ""
    restricted_label: str = ""
    url: str = ""


@dataclass(frozen=True)
class TargetKind:
    key: str
    label: Any
    # resolve(member, id) -> Target; NotFound outside the member's jurisdiction.
    resolve: Callable[[Member, int], Target]
    # choices(member) -> [(id, title)] for the plan form (a bounded list).
    choices: Callable[[Member], list[tuple[int, str]]]


KINDS: dict[str, TargetKind] = {}


def register(kind: TargetKind) -> TargetKind:
    KINDS[kind.key] = kind
    return kind


def kind_for(key: str) -> TargetKind:
    """The registered kind `key`, or a field error on "target_kind"."""
    found = KINDS.get(key)
    if found is None:
        raise ValidationError({"target_kind": _("Choose one of the kinds of target offered.")})
    return found
