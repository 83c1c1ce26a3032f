"""The notify engine's outbox, which is also the delivery record.

Publishing writes one `Delivery` per recipient and channel in the same transaction as the
business change. A worker claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL), sends them
through the channel's adapter, retries transient failures with backoff, dead-letters permanent
ones, and never sends the same delivery twice (`dedupe_key` is unique per recipient and
channel).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.pii import EncryptedField


class Channel(models.TextChoices):
    INAPP = "inapp", _("In the app")
    WEBHOOK = "webhook", _("Webhook")
    WECOM = "wecom", _("WeCom group bot")
    DINGTALK = "dingtalk", _("DingTalk group bot")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")


# Group bots allow 20 messages a minute each (WeCom and DingTalk alike).
BOT_CHANNELS = frozenset({Channel.WECOM.value, Channel.DINGTALK.value})
# Channels whose every message is HMAC-signed with the endpoint's secret: an endpoint of
# these channels without a secret is refused when added and never sent to.
SIGNED_CHANNELS = frozenset({Channel.WEBHOOK.value, Channel.DINGTALK.value})


class SecretField(EncryptedField):
    """A credential (webhook secret, bot signing secret, gateway key): encrypted at rest."""

    kind = "secret"


class Endpoint(models.Model):
    """Where an external channel sends: a webhook URL with its shared HMAC secret, a WeCom or
    DingTalk group bot (its webhook URL; DingTalk's signing secret), or an SMS gateway (its
    URL, API key, signature name and template code in `options`). E-mail needs none (Django's
    mail settings)."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = SecretField(_("secret"))
    # When the secret was last set (never shown back: only whether one is set, and this).
    secret_rotated_at = models.DateTimeField(_("secret last set"), null=True, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = _("channel endpoint")
        verbose_name_plural = _("channel endpoints")

    def __str__(self) -> str:
        return f"{self.channel}:{self.name}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")  # claimed by a worker for an external channel
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed permanently")
    SKIPPED = "skipped", _("Skipped (expired or withdrawn)")


class Delivery(models.Model):
    """One message to one recipient over one channel."""

    # No index of their own for the two keys: the unique (member, channel, dedupe_key) and
    # the (endpoint, sent_at) index lead with them, and every index slows the fan-out.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.INAPP)
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=4000)
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Recipients who are not members (a safety partner, a group bot): "partner:12",
    # "endpoint:3". The owning module registers a resolver for the prefix (see channels).
    recipient = models.CharField(max_length=64, blank=True, default="")
    endpoint = models.ForeignKey(
        Endpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        db_index=False,
    )
    # What the message belongs to ("alert:12"): withdrawing a topic skips its pending rows.
    topic = models.CharField(max_length=64, blank=True, default="")
    # Not sent after this instant (an alert's CAP expiry): the worker skips the row.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["topic", "status"]),
            models.Index(fields=["endpoint", "sent_at"]),
            models.Index(fields=["recipient", "channel"]),
            # What a message links to, for the retention purges that redact a case's
            # notifications. Only messages outside a topic: an alert's 20,000 rows (all one
            # link) would cost the fan-out and help no purge.
            models.Index(
                fields=["link"], condition=models.Q(topic=""), name="delivery_link_no_topic"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "channel", "dedupe_key"], name="delivery_unique_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"],
                condition=~models.Q(recipient=""),
                name="delivery_unique_per_outside_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id or self.recipient}:{self.channel}:{self.kind}"

    @property
    def idempotency_key(self) -> str:
        """A stable key for gateways that deduplicate retries (see liuqing.notify.channels)."""
        return f"liuqing-delivery-{self.pk}"
