"""Safety partners (平安合伙人) and their alerts.

Partners are residents who chose to help: security guards, merchants, taxi drivers, delivery
riders, volunteers, village cadres, herders. They are not staff members: they have no Member
row, sign in with a one-time code sent through their own channel, and see only what was sent
to them and what they reported. What we keep of them is what the service needs: a display
name, their phone (encrypted), optionally an e-mail address (encrypted), their language,
their chosen channels, the place they are reachable around (a village or community: alerts
target places, never people's whereabouts), and when they consented.

An `Alert` is one matter (a missing child, a lost herd, a fraud wave); each issued change is an
`AlertVersion`, a CAP 1.2 message with its own identifier and stable URL. Partners answer with
`Reply` rows (acknowledgement, sighting, tip).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Place, Unit
from liuqing.core.pii import AddressField, BlindIndexField, PhoneNumberField
from liuqing.notify.models import Endpoint


class PartnerKind(models.TextChoices):
    GUARD = "guard", _("Security guard")
    MERCHANT = "merchant", _("Merchant")
    TAXI = "taxi", _("Taxi driver")
    RIDER = "rider", _("Delivery rider")
    VOLUNTEER = "volunteer", _("Volunteer")
    CADRE = "cadre", _("Village cadre")
    HERDER = "herder", _("Herder")
    OTHER = "other", _("Other")


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left")


class PartnerChannel(models.TextChoices):
    """The channels a partner may choose (the partner page always works)."""

    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")


class Language(models.TextChoices):
    ZH = "zh-hans", "中文"
    UG = "ug", "ئۇيغۇرچە"
    KK = "kk-arab", "قازاقشا"


LANGUAGES = [Language.ZH.value, Language.UG.value, Language.KK.value]


class PartnerGroup(models.Model):
    """A partner group (警民群) run by a unit: a station may run dozens (taxi drivers of the
    county seat, the bazaar's merchants, the herders of one summer pasture). Partners join
    with the group's invite code or its QR code; its group bots and webhooks get every
    alert aimed at the group."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    invite_code = models.CharField(_("invite code"), max_length=16, unique=True)
    endpoints = models.ManyToManyField(
        Endpoint, verbose_name=_("group bots and webhooks"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("partner group")
        verbose_name_plural = _("partner groups")

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """One safety partner, registered at a unit (the unit of the group they first joined),
    whose staff keep the registration (pause, resume). Groups of other units the partner
    joins send them their alerts all the same: recipients go by membership, not by `unit`."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    display_name = models.CharField(_("name shown to officers"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    phone = PhoneNumberField(_("phone number"))
    phone_index = BlindIndexField(source="phone")
    email = AddressField(_("e-mail address"))
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH
    )
    # Comma-separated PartnerChannel values (the partner page needs no choice).
    channels = models.CharField(_("channels"), max_length=32, blank=True, default="sms")
    place = models.ForeignKey(
        Place,
        verbose_name=_("village or community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    status = models.CharField(
        _("status"), max_length=8, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE
    )
    consent_version = models.CharField(max_length=16)
    consent_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When the retention purge erased their personal data (liuqing.partners.retention).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("safety partner")
        verbose_name_plural = _("safety partners")
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]

    @property
    def recipient(self) -> str:
        return f"partner:{self.pk}"


class Membership(models.Model):
    """A partner in a group, from joining until leaving (a left membership is kept)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(PartnerGroup, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "group"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["group", "left_at"])]

    def __str__(self) -> str:
        return f"{self.partner_id}@{self.group_id}"


class SignInCode(models.Model):
    """A one-time sign-in code sent to a partner: stored as a digest, valid for ten minutes,
    five wrong tries at most, used once."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code:{self.partner_id}"


class PartnerSession(models.Model):
    """A partner's signed-in session: a random token in its own cookie (stored here as a
    digest), separate from staff sessions, ended on sign-out, pause or leaving."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session:{self.partner_id}"


class AlertKind(models.TextChoices):
    MISSING_PERSON = "missing_person", _("Missing person")
    LIVESTOCK = "livestock", _("Lost livestock")
    FRAUD = "fraud", _("Fraud warning")
    HAZARD = "hazard", _("Hazard")
    WEATHER = "weather", _("Weather")
    OTHER = "other", _("Other")


class AlertStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING = "awaiting", _("Awaiting approval")
    ISSUED = "issued", _("Issued")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class AlertScope(models.TextChoices):
    PUBLIC = "Public", _("Public (on the public feed)")
    RESTRICTED = "Restricted", _("Partners only")


class Severity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme")
    SEVERE = "Severe", _("Severe")
    MODERATE = "Moderate", _("Moderate")
    MINOR = "Minor", _("Minor")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate")
    EXPECTED = "Expected", _("Expected")
    FUTURE = "Future", _("Future")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed")
    LIKELY = "Likely", _("Likely")
    POSSIBLE = "Possible", _("Possible")


class Alert(models.Model):
    """One alert matter. Its area is the union of its target groups, places, circle (centre
    and radius) and polygon; at least one is required, and so is an expiry. Texts are per
    language (`AlertText`); each issue, update, cancellation or resolution makes an
    `AlertVersion`."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.DRAFT
    )
    scope = models.CharField(
        _("audience"), max_length=10, choices=AlertScope.choices, default=AlertScope.RESTRICTED
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MODERATE
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED
    )
    certainty = models.CharField(
        _("certainty"), max_length=10, choices=Certainty.choices, default=Certainty.LIKELY
    )
    groups = models.ManyToManyField(PartnerGroup, verbose_name=_("groups"), blank=True)
    places = models.ManyToManyField(Place, verbose_name=_("places"), blank=True, related_name="+")
    circle_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    circle_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    radius_km = models.FloatField(_("radius (km)"), null=True, blank=True)
    # The radius around each target place that has no boundary of its own (None: the
    # deployment's default, settings.PARTNERS_PLACE_RADIUS_KM, 2 km unless set).
    place_radius_km = models.FloatField(_("radius around places (km)"), null=True, blank=True)
    # CAP polygon: "lat,lon lat,lon …", closed (first point = last), at least four points.
    polygon = models.TextField(_("polygon"), blank=True)
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("outcome"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["unit", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def topic(self) -> str:
        return f"alert:{self.pk}"


class AlertText(models.Model):
    """The alert's words in one language (CAP: one info block per language)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, choices=Language.choices)
    headline = models.CharField(_("headline"), max_length=120)
    description = models.TextField(_("description"), max_length=2000)
    instruction = models.TextField(_("what to do"), max_length=1000, blank=True)

    class Meta:
        ordering = ["alert", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "language"], name="alert_text_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id}:{self.language}"


class MsgType(models.TextChoices):
    ALERT = "Alert", _("Issued")
    UPDATE = "Update", _("Updated")
    CANCEL = "Cancel", _("Cancelled")


class AlertVersion(models.Model):
    """One issued CAP 1.2 message of an alert, kept as sent (its XML) at a stable URL."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    msg_type = models.CharField(max_length=8, choices=MsgType.choices)
    identifier = models.CharField(max_length=120, unique=True)
    sent = models.DateTimeField()
    references = models.TextField(blank=True)
    note = models.CharField(max_length=300, blank=True)
    xml = models.TextField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["alert", "number"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "number"], name="alert_version_unique")
        ]

    def __str__(self) -> str:
        return self.identifier


class ReplyKind(models.TextChoices):
    ACK = "ack", _("Acknowledged")
    SIGHTING = "sighting", _("Sighting")
    TIP = "tip", _("Tip")


class Reply(models.Model):
    """A partner's answer: an acknowledgement or a sighting of an alert, or a tip outside
    any alert (which became a request through the appeals service: `case_code`)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="replies")
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    kind = models.CharField(max_length=8, choices=ReplyKind.choices)
    text = models.TextField(blank=True, max_length=2000)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    photo = models.ImageField(upload_to="partners/%Y/%m/", blank=True)
    case_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["alert", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.partner_id}"
