"""The casework engine's data: one `Case` per matter, whatever its kind, with its timeline,
clocks, exceptions, follow-ups and links; the working-day calendar; per-kind categories with
their SLA.

Modules (appeals, mediation, liaison, hazards, opinion) add a one-to-one detail table and
declare their workflow in `liuqing.casework.workflows`; they never add columns here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Place, Unit


class WarningLevel(models.TextChoices):
    NONE = "none", _("On time")
    BLUE = "blue", _("Blue: due soon")
    YELLOW = "yellow", _("Yellow: due very soon")
    RED = "red", _("Red: overdue")


WARNING_ORDER = {"none": 0, "blue": 1, "yellow": 2, "red": 3}


class Category(models.Model):
    """A category of matters of one kind, in a tree, with its service levels.

    SLA durations are in working days on the national calendar (acceptance and first contact
    may be given in working hours instead). A category without its own SLA inherits its
    parent's; the kind's workflow gives the last default.
    """

    kind = models.CharField(_("kind"), max_length=24, db_index=True)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(_("description"), blank=True)
    accept_hours = models.PositiveIntegerField(
        _("acceptance within (working hours)"), null=True, blank=True
    )
    contact_hours = models.PositiveIntegerField(
        _("first contact within (working hours)"), null=True, blank=True
    )
    resolve_days = models.PositiveIntegerField(
        _("resolution within (working days)"), null=True, blank=True
    )
    needs_location = models.BooleanField(_("needs a location"), default=False)
    is_public = models.BooleanField(_("residents may choose it"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["kind", "order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="category_unique_code_per_kind")
        ]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """One matter, end to end: who owns it, where it stands, when it is due, what the public
    may see of it."""

    # Readable and unique per issuing unit and year ("SQ-2026-000123"); `number_unit` is the
    # unit whose counter issued it, which stays put when the case is transferred.
    number = models.CharField(_("number"), max_length=32, db_index=True)
    number_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, db_index=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="cases"
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    status = models.CharField(_("status"), max_length=24, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=24, blank=True)
    # Point of the matter, when it has one (a map pin); WGS 84.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    received_at = models.DateTimeField(_("received"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    # Clocks. Due times are absolute instants computed on the working-day calendar; a pause
    # pushes every running due time later by the working time it lasted.
    accept_due = models.DateTimeField(null=True, blank=True)
    contact_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(default=0)  # working seconds spent paused, in all
    extended_days = models.PositiveIntegerField(default=0)  # approved extensions, in all
    # Working days the running resolution clock allows: the SLA when it started (opening or
    # reopening) plus extensions approved since. The sweep's "quarter of the time left" rule
    # reads it.
    allowed_days = models.PositiveIntegerField(default=0, db_index=True)
    # The warning level and escalation are not stored: they follow from `resolve_due`,
    # `allowed_days` and the time (see `warning` below and liuqing.casework.levels).
    closed_on_time = models.BooleanField(null=True, blank=True)
    handling_seconds = models.BigIntegerField(null=True, blank=True)  # working seconds

    reopened_count = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    public_code = models.CharField(max_length=16, unique=True, null=True, blank=True)
    is_public = models.BooleanField(_("shown on the notice board"), default=False)
    public_summary = models.TextField(_("public summary"), blank=True, max_length=1000)
    public_result = models.TextField(_("public result"), blank=True, max_length=1000)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["number_unit", "number"], name="case_unique_number")
        ]
        indexes = [
            models.Index(fields=["kind", "status", "resolve_due"]),
            # Ends with the key: the lists' order (received_at, id) per unit, and the set of
            # a subtree's cases of a kind read from the index alone on PostgreSQL (whose
            # indexes, unlike SQLite's, do not carry the key), e.g. the dispute figures of
            # a brigade (mediation.kpis), which would otherwise read 50,000 case rows.
            models.Index(
                fields=["unit", "kind", "received_at", "id"], name="case_unit_kind_received"
            ),
            models.Index(fields=["owner", "status"]),
            # The lists' filters, per unit in scope: status and category by seek, the rest
            # read from the index without touching the rows (a detachment's million cases
            # would otherwise be read row by row to test a filter).
            models.Index(
                fields=[
                    "unit",
                    "kind",
                    "status",
                    "category",
                    "received_at",
                    "owner",
                    "resolve_due",
                    "allowed_days",
                    "is_public",
                ],
                name="case_list_filters",
            ),
            # The same filters over the whole tree (the root's lists drop the unit range).
            models.Index(
                fields=[
                    "kind",
                    "status",
                    "category",
                    "received_at",
                    "owner",
                    "resolve_due",
                    "allowed_days",
                ],
                name="case_all_units_filters",
            ),
            # The appeals figures (appeals.kpis.load_grouped) per unit in scope up to an
            # instant of receipt, every column they key by read from the index: a
            # detachment's million appeals would otherwise be read row by row, titles and
            # descriptions and all.
            models.Index(
                fields=[
                    "unit",
                    "kind",
                    "received_at",
                    "status",
                    "closed_at",
                    "resolve_due",
                    "handling_seconds",
                    "reopened_count",
                    "allowed_days",
                    "category",
                    "place",
                ],
                name="case_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def warning(self) -> str:
        """The warning level now (blue, yellow, red or none): see liuqing.casework.levels."""
        return self.levels[0]

    @property
    def escalation(self) -> int:
        """0 with the owner; 1 on the sergeant's supervision queue; 2 the station chief's."""
        return self.levels[1]

    @property
    def levels(self) -> tuple[str, int]:
        """(warning, escalation) now. A page reads them several times per case: the answer
        is kept for a second while the clock fields stay the same."""
        from liuqing.casework.levels import level_of

        now = timezone.now()
        key = (self.kind, self.status, self.resolve_due, self.allowed_days)
        kept = self.__dict__.get("_levels_kept")
        if kept is not None and kept[0] == key and abs((now - kept[1]).total_seconds()) < 1:
            return kept[2]
        levels = level_of(self, now)
        self.__dict__["_levels_kept"] = (key, now, levels)
        return levels


class CaseAlert(models.Model):
    """The warning level and escalation the SLA sweep last recorded on the case's timeline
    and notified (a row only while it is not "none" and 0). Only the sweep and the services
    that stop a clock write it; what pages and figures show is the level now
    (liuqing.casework.levels). A narrow table of its own, so that a sweep moving many levels
    at once writes small rows with one index, not the case rows and their many indexes."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="alert"
    )
    warning = models.CharField(max_length=8, choices=WarningLevel.choices)
    escalation = models.PositiveSmallIntegerField(default=0)
    at = models.DateTimeField()  # when the sweep recorded it

    def __str__(self) -> str:
        return f"{self.case_id}: {self.warning} {self.escalation}"


class CaseCounter(models.Model):
    """The last number issued per prefix, unit and year (locked FOR UPDATE when issuing)."""

    prefix = models.CharField(max_length=8)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "unit", "year"], name="case_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}:{self.last}"


class EntryType(models.TextChoices):
    NOTE = "note", _("Note")
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    CONTACT = "contact", _("Contact with the resident")
    ATTACHMENT = "attachment", _("Attachment")
    VISIT = "visit", _("Visit")
    EXCEPTION = "exception", _("Extension, return or parking")
    FOLLOWUP = "followup", _("Follow-up")
    LINK = "link", _("Link or merge")
    TRANSFER = "transfer", _("Transfer")
    WARNING = "warning", _("Warning level")


class Entry(models.Model):
    """One line of a case's timeline. Internal unless marked public (then shown to the
    resident and on the notice board, after redaction)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    type = models.CharField(max_length=16, choices=EntryType.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(blank=True, max_length=4000)
    is_public = models.BooleanField(default=False)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    data = models.JSONField(default=dict, blank=True)
    attachment = models.FileField(upload_to="cases/%Y/%m/", blank=True, max_length=200)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.type}"


class ExceptionKind(models.TextChoices):
    EXTENSION = "extension", _("Extension")
    RETURN = "return", _("Return to dispatch")
    PARKING = "parking", _("Parking")


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    ENDED = "ended", _("Ended")


class CaseException(models.Model):
    """A controlled exception: an extension asked before the deadline and approved by a
    supervisor; a return of a misrouted case to dispatch; or parking in a tracked backlog."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=16, choices=ExceptionKind.choices)
    status = models.CharField(max_length=16, choices=ExceptionStatus.choices)
    reason = models.TextField(max_length=2000)
    days = models.PositiveIntegerField(null=True, blank=True)  # extensions: working days
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}:{self.status}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class FollowUp(models.Model):
    """回访: scheduled after closure; records the resident's satisfaction and whether the
    matter was really resolved. A dissatisfied or unresolved answer may reopen the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    due_at = models.DateTimeField(db_index=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    method = models.CharField(max_length=16, blank=True)  # phone, visit, sms, online
    satisfaction = models.CharField(max_length=16, choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    led_to_reopen = models.BooleanField(default=False)
    # Set when the case was reopened (or reopened again) before this follow-up was made.
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The appeals figures (appeals.kpis.load_grouped): the follow-ups done in a span,
            # their appeal and rating, read from the index alone.
            models.Index(fields=["done_at", "case", "satisfaction"], name="followup_figures"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:followup"


class CaseLink(models.Model):
    """A link between two related cases (duplicates are merged, see Case.merged_into)."""

    source = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="case_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}->{self.target_id}"


class CalendarDay(models.Model):
    """One day that differs from the plain week: a public holiday on a weekday, or a make-up
    working day (调休) on a weekend. Years are marked complete in `CalendarYear`."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    name = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'off'}"


class CalendarYear(models.Model):
    """A year whose holiday schedule has been entered (loaded or by an administrator). A year
    without one falls back to weekends only, and SLA pages say so."""

    year = models.PositiveIntegerField(unique=True)
    source = models.CharField(max_length=200, blank=True)
    entered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.year)
