"""Keeps each appeal's search document (appeals.search, `AppealSearch`) in step with its case:
rewritten when the number, title, description or public summary of an appeal's case is saved,
or the resident's name (which the document masks) changes. Saves that touch none of them
(status, owner, warning level, the SLA sweep) cost nothing. Connected in AppealsConfig.ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import post_save

from liuqing.appeals import search
from liuqing.appeals.models import Appeal, AppealSearch
from liuqing.appeals.workflow import APPEAL
from liuqing.casework.models import Case
from liuqing.core import pii

SEARCHED_FIELDS = frozenset({"number", "title", "description", "public_summary"})


def reindex(case: Case, names: Iterable[str] | None = None) -> None:
    """Write the search document of `case` (an appeal). `names` are the resident's names to
    mask; by default read from its appeal row, when there is one."""
    if names is None:
        appeal = Appeal.objects.filter(case=case).only("resident_name").first()
        names = [pii.plain(appeal.resident_name)] if appeal is not None else []
    text = search.document(case.number, case.title, case.description, case.public_summary, names)
    AppealSearch.objects.update_or_create(case=case, defaults={"text": text})


def _case_saved(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or instance.kind != APPEAL:
        return
    if fields is not None and not SEARCHED_FIELDS & set(fields):
        return
    reindex(instance)


def _appeal_saved(sender: Any, instance: Appeal, raw: bool = False, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if raw or (fields is not None and "resident_name" not in fields):
        return
    reindex(instance.case, [pii.plain(instance.resident_name)])


def connect() -> None:
    post_save.connect(_case_saved, sender=Case, dispatch_uid="appeals.search.case")
    post_save.connect(_appeal_saved, sender=Appeal, dispatch_uid="appeals.search.appeal")
