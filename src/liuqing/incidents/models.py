"""Incidents (警情): the place-based ledger of what the dispatch system recorded.

No personal data at all: an incident says what kind of thing happened, when and where (a
point, its H3 cells, the unit whose jurisdiction holds it) and how it ended. Names, identity
numbers and phone numbers in a source export are never mapped (the import offers only these
fields). The short description is for staff only: never on a public page or a public export.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Unit
from liuqing.imports.models import ImportRun
from liuqing.incidents.defaults import BUILTIN_NAMES


class IncidentCategory(models.Model):
    """One of Liuqing's incident categories: the eight built-in ones (criminal, public order,
    telecom fraud, ...; `defaults.BUILTIN_NAMES`) and those administrators add.

    `name` is what an administrator called it; empty for a built-in category that was never
    renamed, which then shows its built-in name translated into the reader's language
    (`label`). A disabled category (`is_active` false) takes no new incidents (import, push,
    report, mapping) but keeps the ones it has, and stays on the maps and in the trends."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(
        _("name"),
        max_length=64,
        blank=True,
        help_text=_("Empty for a built-in category: its name in the reader's language."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self) -> str:
        return self.label

    @property
    def is_builtin(self) -> bool:
        return self.code in BUILTIN_NAMES

    @property
    def label(self) -> str:
        """The name shown: the administrator's, else the built-in one in the active
        language, else the code."""
        if self.name:
            return self.name
        builtin = BUILTIN_NAMES.get(self.code)
        return str(builtin) if builtin is not None else self.code


class CategoryMapping(models.Model):
    """A source system's category text mapped onto one of ours ("盗窃案" → criminal). A source
    text that is neither mapped nor one of our codes or names is a row error."""

    source_system = models.CharField(_("source system"), max_length=32)
    source_text = models.CharField(_("source category"), max_length=64)
    category = models.ForeignKey(
        IncidentCategory, verbose_name=_("category"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source_system", "source_text"]
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_text"], name="category_mapping_unique_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_text}"


class Incident(models.Model):
    """One incident as the dispatch system recorded it, identified by (source system, source
    id): importing it again updates it in place.

    `cell_coarse` / `cell_fine` are its H3 cells at the two resolutions of
    settings.INCIDENTS_CELL_RESOLUTIONS (8 and 9 by default), as signed 64-bit integers (H3
    indexes leave the top bit clear, so they fit). `fingerprint` digests the stored content
    so a re-import tells unchanged rows from updated ones without comparing every field.
    """

    source_system = models.CharField(_("source system"), max_length=32)
    source_id = models.CharField(_("source id"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    # No single-column indexes on the foreign keys: the (unit, time) index below serves the
    # unit's lookups, and every index costs each of a million inserts (see Meta).
    # No foreign-key constraints in the database either (db_constraint=False): the database
    # would check each row's three references, a lookup per row and reference (on
    # PostgreSQL a trigger query each, at commit), a third of a million-row import's time.
    # The ledger writer, the only code that writes incidents, checks the batch's few distinct
    # categories and units instead and holds them (FOR KEY SHARE) until it commits
    # (`ledger.IncidentWriter._hold_parents`); nothing in Liuqing deletes a unit, a
    # category or an import run, and the ORM still applies PROTECT and SET_NULL.
    category = models.ForeignKey(
        IncidentCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
    )
    sub_category = models.CharField(_("sub-category"), max_length=64, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    cell_coarse = models.BigIntegerField()
    cell_fine = models.BigIntegerField()
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
    )
    outcome = models.CharField(_("outcome"), max_length=64, blank=True)
    # Staff only: never on a public page or in an export for the public.
    description = models.TextField(_("short description"), blank=True)
    fingerprint = models.CharField(max_length=16)
    # Unindexed for the same reason: only deleting an import run (rare) looks rows up by it.
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_id"], name="incident_unique_source"
            )
        ]
        # Three indexes besides the primary key: each one costs every insert of a
        # million-row import. A category filter walks the time index (categories are few and
        # dense); deleting a category (PROTECT, rare) scans.
        indexes = [models.Index(fields=["unit", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_id}"


class IncidentCount(models.Model):
    """How many incidents a unit recorded in one local month (settings.TIME_ZONE), category,
    coarse cell and fine cell: what the monthly refresh reads instead of grouping millions
    of incidents (`incidents.counts`).

    Derived data, never typed in: the ledger writer (file import, push, walk-in report)
    changes it in the same transaction as the incidents, and `liuqing incident-counts
    --check | --rebuild` compares it with (or recomputes it from) the incidents. Both cells
    are kept because an incident's coarse cell is that of its point, not always the parent
    of its fine cell. `month` is year × 12 + month − 1; a key whose count falls to 0 is
    deleted.

    The key is the primary key (no id column, no second index): every batch of an import
    upserts thousands of keys, and each index costs each of them. On SQLite the table is
    WITHOUT ROWID (migration 0009): the rows live in the key's own B-tree, one tree to
    search and write per upsert instead of the key index plus the table, and the refresh's
    read of its units' months is a range of that tree."""

    # Unit first, then month: the refresh reads its units' rows of a month window.
    pk = models.CompositePrimaryKey("unit_id", "month", "category_id", "cell_coarse", "cell_fine")
    # No foreign-key constraints in the database, as for `Incident` (the writer that keeps
    # the counts has checked and holds the units and categories they name).
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, db_index=False, db_constraint=False, related_name="+"
    )
    category = models.ForeignKey(
        IncidentCategory,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    cell_coarse = models.BigIntegerField()
    cell_fine = models.BigIntegerField()
    month = models.PositiveIntegerField()
    # No CHECK (n >= 0): the upsert that takes a count down proposes a negative row, which a
    # CHECK would refuse before the conflict turns it into an update. A negative count can
    # only come from writes around the writer, and `check()` reports it.
    n = models.IntegerField()

    class Meta:
        verbose_name = _("incident count")
        verbose_name_plural = _("incident counts")

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.month}:{self.category_id}:{self.cell_fine}={self.n}"


# The analytics results and patrols live in their own module (imported here so Django finds
# them in the incidents app).
from liuqing.incidents.models_maps import (  # noqa: E402, F401
    CellGrid,
    CellMap,
    CellTrend,
    MapRun,
    PatrolAllocation,
    PatrolLog,
    PatrolMode,
    PatrolPlan,
    RunStatus,
    RunTrigger,
    TouristSeason,
)
