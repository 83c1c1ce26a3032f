"""Retention of personal data (SECURITY.md, Data: "each sensitive record kind has a retention
period; a purge job deletes or anonymises, history included").

Each module that keeps personal data declares, in its `<app>.retention` module, one `Rule` per
record kind: how many days a record is kept once it is *finished* (taken off a register, a
case closed, a partner gone), which records are past that, and how one batch of them is
anonymised or deleted, together with whatever copies its history holds (notes on visits,
timeline entries). Figures keep counting what happened, since they count records, not names.

Periods are settings: ``LIUQING_RETENTION_DAYS = {"care.recipient": 1095, ...}`` overrides a
rule's default. The worker runs `purge_expired` once a day (`retention.purge`), and
``liuqing purge [--dry-run]`` runs it by hand. Every purge of a kind is one transaction per
batch with its audit event (kind, how many, the record ids; never the data itself), and each
run leaves a `retention.run` event with the counts, which is also the daily job's mark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from liuqing.core import audit
from liuqing.core.discovery import app_modules
from liuqing.core.redact import redact

BATCH = 500
PURGE_ACTION = "retention.purge"
RUN_ACTION = "retention.run"


@dataclass(frozen=True)
class Rule:
    """One kind of record with personal data and how long it is kept once finished.

    `expired(cutoff)` gives the records finished before `cutoff` that still hold personal
    data (already-purged ones must not match, so a purge is idempotent); `purge(records)`
    anonymises or deletes one batch of them (a list of model instances) and their history.
    """

    name: str
    description: str
    default_days: int
    expired: Callable[[dt.datetime], models.QuerySet[Any]]
    purge: Callable[[list[Any]], None]

    @property
    def days(self) -> int:
        return int(settings.LIUQING_RETENTION_DAYS.get(self.name, self.default_days))

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(days=self.days)

    def erase_after(self, finished_at: dt.datetime) -> dt.datetime:
        """When a record finished at `finished_at` is past its period."""
        return finished_at + dt.timedelta(days=self.days)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.default_days < 1:
        raise ValueError(f"retention rule {rule.name}: a period of at least one day")
    RULES[rule.name] = rule
    return rule


def discover() -> None:
    """Import `<app>.retention` of every installed Liuqing app, so its rules are registered."""
    app_modules("retention")


def due(now: dt.datetime | None = None) -> dict[str, int]:
    """How many records of each kind are past their period now (what a purge would touch)."""
    discover()
    now = now or timezone.now()
    return {name: rule.expired(rule.cutoff(now)).count() for name, rule in sorted(RULES.items())}


def purge_expired(now: dt.datetime | None = None) -> dict[str, int]:
    """Anonymise or delete every record past its period; returns the count per kind. Each
    batch is one transaction with its audit event, so an interrupted purge loses nothing
    and the next run finishes it."""
    discover()
    now = now or timezone.now()
    done: dict[str, int] = {}
    for name, rule in sorted(RULES.items()):
        cutoff = rule.cutoff(now)
        count = 0
        seen: set[Any] = set()
        while True:
            with transaction.atomic():
                batch = list(rule.expired(cutoff).order_by("pk")[:BATCH])
                if not batch:
                    break
                if seen.intersection(r.pk for r in batch):
                    raise RuntimeError(f"retention rule {name}: purged records still expired")
                seen.update(r.pk for r in batch)
                rule.purge(batch)
                audit.record(
                    PURGE_ACTION,
                    object_type=name,
                    details={
                        "kind": name,
                        "days": rule.days,
                        "count": len(batch),
                        "ids": [str(r.pk) for r in batch],
                    },
                )
            count += len(batch)
        done[name] = count
    audit.record(RUN_ACTION, object_type="retention", details={"purged": done})
    return done


def redact_columns(
    rows: models.QuerySet[Any],
    key: str,
    fields: Sequence[str],
    names: Mapping[Any, Collection[str]],
    *,
    batch_size: int = BATCH,
) -> int:
    """Pass `fields` of the rows of `rows` whose `key` (a column, or a lookup through a
    relation such as "agreement__dispute_id") is one of `names`' keys through `core.redact`,
    with the names given for that key (none: numbers and e-mail addresses are still masked).

    Rows whose texts do not change are not written; the others are written in bulk, reading
    and writing `batch_size` keys' rows at a time. A bounded column (a CharField) is cut to
    its length. Runs inside the caller's transaction (a purge's); returns the rows written.
    """
    model = rows.model
    limits = [
        field.max_length if isinstance(field, models.CharField) else None
        for field in (model._meta.get_field(name) for name in fields)
    ]
    keys = list(names)
    written = 0
    for start in range(0, len(keys), batch_size):
        chunk = rows.filter(**{f"{key}__in": keys[start : start + batch_size]})
        changed = []
        for pk, owner, *texts in chunk.values_list("pk", key, *fields):
            values = [
                redact(text, names=names[owner])[:limit] if text else text
                for text, limit in zip(texts, limits, strict=True)
            ]
            if values != texts:
                changed.append(model(pk=pk, **dict(zip(fields, values, strict=True))))
        model._default_manager.bulk_update(changed, list(fields), batch_size=batch_size)
        written += len(changed)
    return written
