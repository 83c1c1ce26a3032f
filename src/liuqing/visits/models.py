"""The visits engine: plans (who visits what, how often) and the visits made under them.

A plan names its target generically, by a target kind registered by a module
(`liuqing.visits.targets`: "care_recipient", "organisation", "place") and the target's id, so
the engine imports no module. The plan copies what the engine needs to know of the target:
its unit (the plan's unit), a title that carries no personal data, and the sensitive label
that hides it from members without the grant.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Member, Team, Unit

WEEK_DAYS = 7
MONTHLY = 0  # the interval code of calendar months (liuqing.analytics.visits.MONTHLY)


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    CUSTOM = "custom", _("Every N days")


class VisitPlan(models.Model):
    """Who visits what target, how often, from which day; `next_due` is the last day by
    which the next visit is due (kept by the services and the worker's due job)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    target_kind = models.CharField(_("target kind"), max_length=32)
    target_id = models.PositiveBigIntegerField(_("target"))
    title = models.CharField(_("title"), max_length=100)
    sensitive_label = models.CharField(max_length=24, blank=True, default="")
    # A second label the target carries on top (a care recipient under 14: "minor"); the plan
    # is hidden from members who lack either.
    restricted_label = models.CharField(max_length=24, blank=True, default="")
    cadence = models.CharField(_("cadence"), max_length=16, choices=Cadence.choices)
    interval_days = models.PositiveSmallIntegerField(_("every N days"), default=WEEK_DAYS)
    responsible = models.ForeignKey(
        Member,
        verbose_name=_("responsible member"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("responsible team"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    next_due = models.DateField(_("next visit due by"), null=True, blank=True)
    created_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["next_due", "pk"]
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        indexes = [
            models.Index(fields=["unit", "next_due"]),
            models.Index(fields=["target_kind", "target_id"]),
            models.Index(fields=["responsible", "next_due"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def interval(self) -> int:
        """The cadence as the analytics code: days, or 0 for calendar months."""
        if self.cadence == Cadence.MONTHLY:
            return MONTHLY
        if self.cadence == Cadence.WEEKLY:
            return WEEK_DAYS
        return int(self.interval_days)


class Visit(models.Model):
    """One visit under a plan: the day, who went, what was done, where they checked in."""

    plan = models.ForeignKey(VisitPlan, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    visitors = models.ManyToManyField(
        Member, verbose_name=_("visitors"), related_name="visits_made"
    )
    summary = models.TextField(_("what was done"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    recorded_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["plan", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.visited_on}"


class VisitPhoto(models.Model):
    """A photo of a visit, typed by its content and stored under a random name (the
    casework upload rules); served only as a download."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(max_length=200)
    name = models.CharField(max_length=200)
    mime = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name
