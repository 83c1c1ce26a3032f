"""Keeps each appeal's search document (appeals.search, `AppealSearch`) in step with its case:
rewritten when the number, title, description or public summary of an appeal's case is saved,
or the resident's name (which the document masks) changes. Saves that touch none of them
(status, owner, the deadline) cost nothing; the SLA sweep writes no case row at all.

A service that saves a case and its appeal row in one operation wraps both saves in
`one_reindex()`: the signals then only note the case, and its document is written once, at
the end, from what was saved (instead of once per save, the first time with a stale name).

Keeps the figures' rollup (appeals.rollup) in step, in the same transaction: an appeal's
state is refreshed when its case is saved with a field the figures read, deleted, or one of
its follow-ups is saved or deleted, and when a unit moves (its appeals' cells follow the new
path). Connected in AppealsConfig.ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models.signals import post_delete, post_save

from liuqing.appeals import rollup, search
from liuqing.appeals.models import Appeal, AppealSearch
from liuqing.appeals.workflow import APPEAL
from liuqing.casework.models import Case, FollowUp
from liuqing.core import pii
from liuqing.core.models import Unit

SEARCHED_FIELDS = frozenset({"number", "title", "description", "public_summary"})
# Inside one_reindex(): the cases whose document is due, by primary key.
_deferred: ContextVar[dict[int, Case] | None] = ContextVar("appeals_search_deferred", default=None)
# What the figures' rollup reads of a case and of a follow-up.
FIGURE_FIELDS = frozenset(
    {
        "kind",
        "unit",
        "status",
        "received_at",
        "closed_at",
        "resolve_due",
        "reopened_count",
        "handling_seconds",
    }
)
FOLLOWUP_FIELDS = frozenset({"case", "done_at", "satisfaction"})


def reindex(case: Case, names: Iterable[str] | None = None) -> None:
    """Write the search document of `case` (an appeal). `names` are the resident's names to
    mask; by default read from its appeal row, when there is one."""
    if names is None:
        appeal = Appeal.objects.filter(case=case).only("resident_name").first()
        names = [pii.plain(appeal.resident_name)] if appeal is not None else []
    text = search.document(case.number, case.title, case.description, case.public_summary, names)
    AppealSearch.objects.update_or_create(case=case, defaults={"text": text})


@contextmanager
def one_reindex() -> Iterator[None]:
    """Defer the search-document writes of the saves inside the block to one write per case
    at its end (nothing when no searched field was saved). Nested blocks join the outer one."""
    if _deferred.get() is not None:
        yield
        return
    token = _deferred.set({})
    try:
        yield
        due = _deferred.get() or {}
    finally:
        _deferred.reset(token)
    for case in due.values():
        reindex(case)


def _due(case: Case, names: Iterable[str] | None = None) -> None:
    deferred = _deferred.get()
    if deferred is None:
        reindex(case, names)
    else:
        deferred[case.pk] = case  # written at the end, with the name then saved


def _case_saved(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or instance.kind != APPEAL:
        return
    if fields is not None and not SEARCHED_FIELDS & set(fields):
        return
    _due(instance)


def _appeal_saved(sender: Any, instance: Appeal, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or (fields is not None and "resident_name" not in fields):
        return
    _due(instance.case, [pii.plain(instance.resident_name)])


def _case_figures(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or (fields is not None and not FIGURE_FIELDS & set(fields)):
        return
    if instance.kind == APPEAL:
        rollup.refresh([instance.pk])


def _followup_figures(sender: Any, instance: FollowUp, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or (fields is not None and not FOLLOWUP_FIELDS & set(fields)):
        return
    if kwargs.get("created") and instance.done_at is None:
        return  # scheduled, not done: counts nowhere yet
    rollup.refresh([instance.case_id])


def _unit_moved(sender: Any, instance: Unit, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or kwargs.get("created") or (fields is not None and "path" not in fields):
        return
    rollup.refresh_unit(instance)


def connect() -> None:
    post_save.connect(_case_saved, sender=Case, dispatch_uid="appeals.search.case")
    post_save.connect(_appeal_saved, sender=Appeal, dispatch_uid="appeals.search.appeal")
    post_save.connect(_case_figures, sender=Case, dispatch_uid="appeals.rollup.case")
    post_delete.connect(_case_figures, sender=Case, dispatch_uid="appeals.rollup.case_gone")
    post_save.connect(_followup_figures, sender=FollowUp, dispatch_uid="appeals.rollup.followup")
    post_delete.connect(
        _followup_figures, sender=FollowUp, dispatch_uid="appeals.rollup.followup_gone"
    )
    post_save.connect(_unit_moved, sender=Unit, dispatch_uid="appeals.rollup.unit")
