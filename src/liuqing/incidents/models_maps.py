"""Stored results of the monthly refresh (`incidents.refresh`) and the patrol records.

A refresh run (`MapRun`) covers one root unit and the units below it that have a map (kinds
in settings.INCIDENTS_MAP_UNIT_KINDS). For each such unit and resolution it stores the unit's
cell set once (`CellGrid`, the sorted H3 indexes as little-endian uint64 bytes) and, per month
and category ("all categories" = no category), one `CellMap`; per category the emerging
hot-spot result over the run's months (`CellTrend`).

Maps are stored sparse, because most cells of a month are empty: the positions (into the
grid's cell array) of the non-zero cells with their counts and levels, and the positions of
the cells whose Gi* bin is not 0 with their bins and z-scores. Every other cell has count 0,
level green and bin 0. A detachment of 20,000 cells and 24 months of nine maps costs a few
megabytes this way instead of a hundred and fifty.

Patrols: a week's allocation of officer-hours per unit and mode (`PatrolPlan`,
`PatrolAllocation`, proposed from the hot cells' risk and editable), and the patrol logs
(`PatrolLog`: who, mode, which cells, when), from which patrol coverage (见警率) is computed.
Place-based: a log says where officers patrolled, never whom they met.
"""

from __future__ import annotations

import numpy as np
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Member, Unit


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Monthly schedule")
    IMPORT = "import", _("After an import")
    MANUAL = "manual", _("On request")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MapRun(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    trigger = models.CharField(_("trigger"), max_length=16, choices=RunTrigger.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    requested_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    maps = models.PositiveIntegerField(default=0)
    recomputed = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("map refresh")
        verbose_name_plural = _("map refreshes")
        indexes = [models.Index(fields=["unit", "status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.first_month}–{self.last_month}"


class CellGrid(models.Model):
    """A unit's cell set at one resolution, as one run saw it."""

    run = models.ForeignKey(MapRun, on_delete=models.CASCADE, related_name="grids")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    resolution = models.PositiveSmallIntegerField()
    size = models.PositiveIntegerField()
    cells = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "unit", "resolution"], name="cell_grid_unique_run_unit_res"
            )
        ]
        indexes = [models.Index(fields=["unit", "resolution"])]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.resolution}"

    def cell_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.cells), dtype="<u8").astype(np.uint64)


class CellMap(models.Model):
    """One month's map of a grid for one category (None: all categories)."""

    grid = models.ForeignKey(CellGrid, on_delete=models.CASCADE, related_name="maps")
    category = models.ForeignKey(
        "incidents.IncidentCategory", null=True, blank=True, on_delete=models.PROTECT
    )
    month = models.DateField()
    incidents = models.PositiveIntegerField(default=0)
    outside = models.PositiveIntegerField(default=0)  # in the unit's subtree, not in its cells
    digest = models.CharField(max_length=32)  # of the counts: unchanged maps keep their Gi*
    # Not enough data for Gi*: hotspots.Reason, else "".
    reason = models.CharField(max_length=32, blank=True)
    nonzero = models.BinaryField()  # int32 positions of the non-zero cells
    counts = models.BinaryField()  # int32, their counts
    levels = models.BinaryField()  # int8, their levels (every other cell is green)
    spots = models.BinaryField()  # int32 positions of the cells with a Gi* bin ≠ 0
    bins = models.BinaryField()  # int8, their bins −3…+3
    z = models.BinaryField()  # float32, their z-scores

    class Meta:
        indexes = [models.Index(fields=["grid", "month"])]

    def __str__(self) -> str:
        return f"{self.grid_id}:{self.category_id or 'all'}:{self.month:%Y-%m}"


class CellTrend(models.Model):
    """Emerging hot spots of a grid for one category over the run's months."""

    grid = models.ForeignKey(CellGrid, on_delete=models.CASCADE, related_name="trends")
    category = models.ForeignKey(
        "incidents.IncidentCategory", null=True, blank=True, on_delete=models.PROTECT
    )
    steps = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=32, blank=True)
    patterns = models.BinaryField()  # int8 per cell: codes into analytics.emerging.PATTERNS
    trend = models.BinaryField()  # int8 per cell: Mann–Kendall trend −1, 0, +1

    def __str__(self) -> str:
        return f"{self.grid_id}:{self.category_id or 'all'}"


class PatrolMode(models.TextChoices):
    CAR = "car", _("Car patrol")
    FOOT = "foot", _("Foot patrol")
    VIDEO = "video", _("Video patrol")


class PatrolPlan(models.Model):
    """A unit's patrol plan for one week (Monday), proposed then edited."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    week = models.DateField(_("week (Monday)"))
    hours = models.DecimalField(_("officer-hours"), max_digits=8, decimal_places=1)
    resolution = models.PositiveSmallIntegerField()
    based_on = models.DateField(_("hot cells of the month"), null=True, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "unit__path"]
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        constraints = [
            models.UniqueConstraint(fields=["unit", "week"], name="patrol_plan_unique_week")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.week}"


class PatrolAllocation(models.Model):
    """Officer-hours of a plan for one unit (the plan's unit or one below it), one of its hot
    cells, and a mode. A unit without hot cells has lines without a cell (its hours at unit
    level). `risk` is the cell's share of the incidents in its unit's hot cells (1 for a
    unit-level line)."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="allocations")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    # An H3 index (hex string) at the plan's resolution; null: the unit as a whole.
    cell = models.CharField(_("cell"), max_length=16, null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=PatrolMode.choices)
    risk = models.FloatField(_("risk share"), default=0.0)
    hours = models.DecimalField(_("officer-hours"), max_digits=8, decimal_places=1)

    class Meta:
        ordering = ["unit__path", "cell", "mode"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "unit", "cell", "mode"], name="patrol_allocation_unique_cell"
            ),
            # NULLs are distinct in a unique index: the unit-level lines need their own.
            models.UniqueConstraint(
                fields=["plan", "unit", "mode"],
                condition=models.Q(cell__isnull=True),
                name="patrol_allocation_unique_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.unit_id}:{self.cell or '-'}:{self.mode}"


class PatrolLog(models.Model):
    """One patrol as logged: who, how, where (H3 cells), when."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    officer = models.ForeignKey(
        Member, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("mode"), max_length=8, choices=PatrolMode.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    # H3 indexes (hex strings), space-separated, at the fine resolution or the coarse one.
    cells = models.TextField(_("cells covered"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("patrol log")
        verbose_name_plural = _("patrol logs")
        indexes = [models.Index(fields=["unit", "started_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.started_at:%Y-%m-%d %H:%M}"

    def cell_list(self) -> list[str]:
        return self.cells.split()


class TouristSeason(models.Model):
    """The tourist season of one scenic place, or of a unit (for the unit as a whole and as
    the default of the places and units below it): its months, 1–12, at least one and not
    all twelve. Without one, the nearest ancestor unit's season applies, then the global
    settings.INCIDENTS_TOURIST_MONTHS (`incidents.seasons`).

    `unit` is always set: the unit itself, or the unit owning the place (which decides who
    may see and change it)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE)
    place = models.ForeignKey(
        "core.Place",
        verbose_name=_("scenic place"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    months = models.CharField(_("months"), max_length=32)  # "6,7,8": sorted, comma-separated
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tourist season")
        verbose_name_plural = _("tourist seasons")
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(place__isnull=True),
                name="tourist_season_one_per_unit",
            ),
            models.UniqueConstraint(
                fields=["place"],
                condition=models.Q(place__isnull=False),
                name="tourist_season_one_per_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_id or self.unit_id}: {self.months}"

    @property
    def month_list(self) -> list[int]:
        return [int(m) for m in self.months.split(",") if m.strip()]
