"""Appeals (诉求): a resident's request, carried by one casework `Case` of kind "appeal".

The case holds everything the engine needs (unit, place, category, status, clocks, public
summary); this detail table holds what only appeals need: who the resident is (encrypted at
rest, never shown on public pages), their consent, and where the request came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Case
from liuqing.core.pii import AddressField, BlindIndexField, PersonNameField, PhoneNumberField


class AppealChannel(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit")
    RECEPTION = "reception", _("Reception desk")
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("Online form")
    QR_CARD = "qr_card", _("Contact-card QR code")
    TALK_POINT = "talk_point", _("Talk point session")
    GRID_REPORT = "grid_report", _("Grid worker report")
    OPEN311 = "open311", _("Open311 client")


class Appeal(models.Model):
    """The appeal-specific part of a case (one-to-one, sharing its primary key)."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="appeal"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=AppealChannel.choices)
    resident_name = PersonNameField(_("resident's name"), blank=True)
    resident_phone = PhoneNumberField(_("resident's phone"), blank=True)
    resident_phone_index = BlindIndexField(source="resident_phone")
    resident_address = AddressField(_("resident's address"), blank=True)
    anonymous = models.BooleanField(_("the resident asked not to be named"), default=False)
    # Public submissions: the consent notice version the resident accepted, and when.
    consent_version = models.CharField(max_length=16, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    # The officer whose contact card (QR code) the resident used, if any.
    contact_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Open311 clients: the api key's client name and the client's own identifiers.
    client_name = models.CharField(max_length=64, blank=True)
    client_token = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the retention purge erased the resident's data (appeals.retention).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"appeal {self.case_id}"


class Open311Client(models.Model):
    """A machine client of the Open311 endpoint (a city app, a WeChat mini-program, a partner
    site). Its api_key is stored as a SHA-256 digest; it may only create requests."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    key_prefix = models.CharField(max_length=12, unique=True)
    key_digest = models.CharField(max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return self.name


class BatchToken(models.Model):
    """Open311 batch services answer a token first; it resolves to the request id once the
    request is accepted (clients poll tokens/{token})."""

    token = models.CharField(max_length=32, unique=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.token


class AppealSearch(models.Model):
    """The search document of one appeal (see appeals.search): tokens only, redacted, never
    the resident's name. Indexed by the database (FTS5 on SQLite, GIN on PostgreSQL)."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="appeal_search"
    )
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"search document of case {self.case_id}"


# --- The figures' rollup (appeals.rollup) ---------------------------------------------------------
#
# Exact counts kept per unit and every unit above it, so that the figures of a detachment read a
# few thousand rows instead of a million appeals. `FigureState` is the ledger: what each appeal
# last added to the cells, so that a change takes exactly that away and adds the new state.
# All of it is derived data: `liuqing appeal_figures --rebuild` recomputes it from the cases.


class FigureCell(models.Model):
    """Appeals of `unit`'s subtree that are settled (closed, or withdrawn or merged), counted
    by local month of receipt, local day of closure (of receipt when withdrawn or merged),
    local day of the first follow-up done (0: none), late, reopened and excluded."""

    unit = models.ForeignKey("core.Unit", on_delete=models.CASCADE, related_name="+")
    received_month = models.IntegerField()  # year × 12 + month − 1, local
    day = models.IntegerField()  # date.toordinal(), local
    followup_day = models.IntegerField()  # date.toordinal() of the first follow-up, 0 for none
    is_late = models.PositiveSmallIntegerField()
    is_reopened = models.PositiveSmallIntegerField()
    is_excluded = models.PositiveSmallIntegerField()
    n = models.IntegerField()
    handled = models.IntegerField()  # how many of the n have a handling time
    handling = models.BigIntegerField()  # their working seconds, summed

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "unit",
                    "received_month",
                    "day",
                    "followup_day",
                    "is_late",
                    "is_reopened",
                    "is_excluded",
                ],
                name="appeal_figure_cell_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.received_month}:{self.day}:{self.n}"


class FollowUpCell(models.Model):
    """Follow-ups done on the appeals of `unit`'s subtree, by local day and rating (the
    position in liuqing.appeals.kpis.RATING_CODES: 0 none)."""

    unit = models.ForeignKey("core.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.IntegerField()
    rating = models.PositiveSmallIntegerField()
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "day", "rating"], name="appeal_followup_cell_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.day}:{self.rating}:{self.n}"


class FigureState(models.Model):
    """What one appeal adds to the cells (the ledger): its unit's path when applied, its
    settled key (when `settled`) and its follow-ups done ("day:rating" separated by spaces).
    No foreign key: the row must outlive its case's deletion long enough to be taken away."""

    case_id = models.BigIntegerField(primary_key=True)
    path = models.CharField(max_length=255)
    settled = models.BooleanField()
    received_month = models.IntegerField()
    day = models.IntegerField()
    followup_day = models.IntegerField()
    is_late = models.PositiveSmallIntegerField()
    is_reopened = models.PositiveSmallIntegerField()
    is_excluded = models.PositiveSmallIntegerField()
    handling = models.BigIntegerField(null=True)
    followups = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"figure state of case {self.case_id}"
