"""Liaison (增感情): officers paired with enterprises and schools (一企一警, 法治班主任).

Organisations with their address and a contact (the contact's name and phone are personal
data: encrypted, masked); officer assignments over time; problems raised by an organisation
(casework cases of kind "liaison_problem", with their own category deadlines) and the
savings the organisation estimates they brought; lessons given at schools. Visits to an
organisation are planned on the visits engine (target kind "organisation").
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Case
from liuqing.core.models import Member, Place, Unit
from liuqing.core.pii import PersonNameField, PhoneNumberField


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    SCENIC = "scenic", _("Scenic area")
    MARKET = "market", _("Market")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """An enterprise, school, scenic area or market an officer looks after."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = PersonNameField(_("contact person"), blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"], name="organisation_unique_name_per_unit"
            )
        ]
        indexes = [models.Index(fields=["unit", "kind"])]

    def __str__(self) -> str:
        return self.name


class AssignmentRole(models.TextChoices):
    LIAISON = "liaison", _("Liaison officer")
    SCHOOL = "school", _("School liaison officer")


class Assignment(models.Model):
    """An officer assigned to an organisation from `starts_on` to `ends_on` (inclusive;
    open-ended while null). Overlaps and orphans are flagged, not refused (selectors)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assignments"
    )
    officer = models.ForeignKey(
        Member, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, choices=AssignmentRole.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["organisation", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.officer_id}"


class Problem(models.Model):
    """A problem an organisation raised, carried as a casework case (kind
    "liaison_problem"), with the savings the organisation estimates its solution brought."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="problems"
    )
    estimated_savings = models.DecimalField(
        _("estimated savings (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    def __str__(self) -> str:
        return str(self.case_id)


class Lesson(models.Model):
    """A lesson an officer gave at a school (法治课): topic, class and attendance."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="lessons")
    given_on = models.DateField(_("given on"))
    topic = models.CharField(_("topic"), max_length=100)
    class_name = models.CharField(_("class"), max_length=64)
    attendance = models.PositiveIntegerField(_("attendance"))
    given_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.topic}"
