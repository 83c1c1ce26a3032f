"""Template filters of the case pages: labels of kinds, states and actions."""

from __future__ import annotations

from typing import Any

from django import template

from liuqing.casework.models import WarningLevel
from liuqing.casework.workflows import ACTION_LABELS, STATE_LABELS, WORKFLOWS

register = template.Library()


@register.filter
def kind_label(kind: str) -> Any:
    workflow = WORKFLOWS.get(kind)
    return workflow.label if workflow is not None else kind


@register.filter
def state_label(status: str) -> Any:
    return STATE_LABELS.get(status, status)


@register.filter
def action_label(action: str) -> Any:
    return ACTION_LABELS.get(action, action)


@register.filter
def warning_label(level: str) -> Any:
    try:
        return WarningLevel(level).label
    except ValueError:
        return level
