"""Reads of the import engine, always scoped to the acting member."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuqing.core import access
from liuqing.core.models import Member
from liuqing.imports import registry
from liuqing.imports.models import ColumnMapping, ImportRun
from liuqing.imports.policies import COLUMN_MAPPING, IMPORT_RUN


def runs_visible_to(member: Member, kind: str = "") -> QuerySet[ImportRun]:
    if not access.can(member, IMPORT_RUN, access.VIEW):
        raise access.AccessDenied
    qs = access.scope(
        ImportRun.objects.select_related("unit", "created_by"), member, IMPORT_RUN
    ).order_by("-created_at", "-pk")
    return qs.filter(kind=kind) if kind else qs


def access_run(member: Member, pk: Any, *, for_write: bool = False) -> ImportRun:
    return access.access(
        member,
        ImportRun.objects.select_related("unit", "created_by"),
        IMPORT_RUN,
        pk,
        for_write=for_write,
    )


def mappings_for(member: Member, kind: str) -> QuerySet[ColumnMapping]:
    return access.scope(
        ColumnMapping.objects.filter(kind=kind).select_related("unit"), member, COLUMN_MAPPING
    ).order_by("name", "pk")


def kinds_for(member: Member) -> list[registry.LedgerKind]:
    """The ledger kinds the member may import."""
    return [
        k
        for k in registry.KINDS.values()
        if access.can(member, IMPORT_RUN, access.CHANGE)
        and access.can(member, k.policy_kind, access.CHANGE)
    ]
