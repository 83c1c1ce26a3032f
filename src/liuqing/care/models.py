"""The care register (知民情): vulnerable residents the station looks after.

Minimum personal data: a name, a phone and an address (encrypted, shown masked, revealed
with a reason and audited), the category of need, and sensitive notes (health, disability,
family circumstances; encrypted). No identity-card number, no ethnicity, no religion. Every
recipient carries the "care" label (members need the care grant to see any of them) and may
carry one more restricted label (minor, disability, health, domestic violence). The legal
basis of processing (PIPL art. 13) is recorded with each recipient.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Case
from liuqing.core.models import Member, Place, SensitiveLabel, Unit
from liuqing.core.pii import AddressField, PersonNameField, PhoneNumberField, SensitiveNoteField
from liuqing.visits.models import Visit

CARE_LABEL = SensitiveLabel.CARE


class RecipientCategory(models.TextChoices):
    LOW_INCOME = "low_income", _("Low-income household")
    ELDERLY_ALONE = "elderly_alone", _("Elderly person living alone")
    DISABILITY = "disability", _("Person with a disability")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    OTHER = "other", _("Other")


class RestrictedLabel(models.TextChoices):
    NONE = "", _("None beyond the care register")
    MINOR = SensitiveLabel.MINOR.value, SensitiveLabel.MINOR.label
    DISABILITY = SensitiveLabel.DISABILITY.value, SensitiveLabel.DISABILITY.label
    HEALTH = SensitiveLabel.HEALTH.value, SensitiveLabel.HEALTH.label
    DOMESTIC_VIOLENCE = (
        SensitiveLabel.DOMESTIC_VIOLENCE.value,
        SensitiveLabel.DOMESTIC_VIOLENCE.label,
    )


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent of the person")
    GUARDIAN = "guardian", _("Consent of the guardian")
    LEGAL_DUTY = "legal_duty", _("Legal duty (social assistance)")
    VITAL_INTEREST = "vital_interest", _("Protection of life or health in an emergency")


class Recipient(models.Model):
    """One resident on the care register, at the unit that looks after them."""

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
    category = models.CharField(_("category"), max_length=24, choices=RecipientCategory.choices)
    name = PersonNameField(_("name"))
    phone = PhoneNumberField(_("phone"), blank=True)
    address = AddressField(_("address"), blank=True)
    notes = SensitiveNoteField(_("sensitive notes"), blank=True)
    restricted_label = models.CharField(
        _("restricted label"),
        max_length=24,
        choices=RestrictedLabel.choices,
        blank=True,
        default="",
    )
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    basis_recorded_on = models.DateField(_("consent or basis recorded on"))
    basis_note = models.CharField(
        _("how the consent or basis was recorded"), max_length=200, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    registered_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now, editable=False)
    # Taken off the register at; the retention period (care.retention) runs from here, and
    # `purged_at` says when the personal data and the visit notes were erased.
    removed_at = models.DateTimeField(_("taken off the register at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-pk"]
        verbose_name = _("care recipient")
        verbose_name_plural = _("care recipients")
        indexes = [models.Index(fields=["unit", "category"])]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """What lists, plans and audit details show: the category and number, no name."""
        return f"{self.get_category_display()} #{self.pk}"

    @property
    def labels(self) -> list[str]:
        return [CARE_LABEL, self.restricted_label] if self.restricted_label else [CARE_LABEL]


class ServiceKind(models.TextChoices):
    MEDICINE = "medicine", _("Medicine delivered")
    CLEANING = "cleaning", _("Cleaning")
    DOCTOR = "doctor", _("Doctor's visit arranged")
    PAPERWORK = "paperwork", _("Paperwork helped")
    OTHER = "other", _("Other help")


class Service(models.Model):
    """A service given to a recipient, on a visit or otherwise."""

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    given_on = models.DateField(_("given on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    given_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.recipient_id}:{self.kind}"


class Need(models.Model):
    """A need raised for a recipient (often on a visit), carried as an appeal: `case` is the
    appeal the appeals module opened for it."""

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="needs")
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-raised_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.recipient_id}:{self.case_id}"
