"""Long lists without reading them all.

* Counts: pages and API lists count matching rows up to `COUNT_CAP`; beyond that they say
  "more than 10,000" and page up to the cap (narrower filters reach the rest). Counting a
  million appeals would cost a scan of every row in scope on each page view; counting ten
  thousand costs a bounded index walk.
* Pages: the page's primary keys are chosen first (the filters and the sort read only an
  index), then its rows are loaded with their joins by key, so the joins are made for the
  page's rows rather than for every row that matches before the sort.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

COUNT_CAP = 10_000  # the default of settings.LIST_COUNT_CAP


def count_cap() -> int:
    return int(getattr(settings, "LIST_COUNT_CAP", COUNT_CAP))


def capped_count(queryset: QuerySet[Any] | Any, cap: int | None = None) -> tuple[int, bool]:
    """(rows counted up to `cap` (default `count_cap()`), whether more match). One query;
    ordering is dropped, so the database stops after cap + 1 rows instead of sorting them
    all."""
    cap = count_cap() if cap is None else cap
    if not isinstance(queryset, QuerySet):
        n = len(queryset)
    else:
        n = queryset.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def page_rows(queryset: QuerySet[Any], bottom: int, top: int) -> list[Any]:
    """Rows [bottom, top) of an ordered queryset in two queries: their keys, then the rows
    (with the queryset's joins, deferrals and prefetches) by key, in the keys' order."""
    keys = list(queryset.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
    if not keys:
        return []
    found = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
    return [found[key] for key in keys if key in found]


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A Paginator whose count stops at `cap` (then `capped` is True) and whose pages load
    by key (`page_rows`)."""

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        return capped_count(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def capped(self) -> bool:
        return self._counted[1]

    def page(self, number: Any) -> Any:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.combinator:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(page_rows(queryset, bottom, top), number, self)
