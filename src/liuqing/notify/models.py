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


class Channel(models.TextChoices):
    INAPP = "inapp", _("In the app")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")  # claimed by a worker for an external channel
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed permanently")


class Delivery(models.Model):
    """One message to one recipient over one channel."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
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

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "channel", "dedupe_key"], name="delivery_unique_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.channel}:{self.kind}"

    @property
    def idempotency_key(self) -> str:
        """A stable key for gateways that deduplicate retries (see liuqing.notify.channels)."""
        return f"liuqing-delivery-{self.pk}"
