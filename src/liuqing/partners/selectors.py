"""Reads of partners and alerts: staff reads through the member's jurisdiction, partner reads
limited to what was sent to the partner and what they reported, and the public CAP feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from liuqing.core import access
from liuqing.core.access import VIEW, AccessDenied, NotFound
from liuqing.core.models import Member, Place, Unit
from liuqing.notify.models import Channel, Delivery, DeliveryStatus, Endpoint
from liuqing.partners.models import (
    Alert,
    AlertScope,
    AlertStatus,
    AlertVersion,
    Membership,
    MsgType,
    Partner,
    PartnerGroup,
    PartnerStatus,
    Reply,
    ReplyKind,
)
from liuqing.partners.policies import ALERT, PARTNER, PARTNER_GROUP
from liuqing.partners.retention import with_erase_dates

DB_MAX_ID = 2**63 - 1


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 1 <= pk <= DB_MAX_ID:
        raise NotFound
    return pk


# --- Staff -------------------------------------------------------------------------------------


def partners_visible_to(
    member: Member, *, status: str = "", group: PartnerGroup | None = None
) -> QuerySet[Partner]:
    """The partners of the member's jurisdiction, newest first, each with `erase_after`
    (`retention.with_erase_dates`: when its personal data becomes due for erasure, or None)."""
    if not access.can(member, PARTNER, VIEW):
        raise AccessDenied
    qs = access.scope(Partner.objects.select_related("unit", "place"), member, PARTNER)
    if status:
        qs = qs.filter(status=status)
    if group is not None:
        qs = qs.filter(memberships__group=group, memberships__left_at__isnull=True)
    return with_erase_dates(qs).order_by("-created_at", "-pk")


def access_partner(member: Member, pk: Any, *, for_write: bool = False) -> Partner:
    return access.access(
        member, Partner.objects.select_related("unit", "place"), PARTNER, pk, for_write=for_write
    )


def groups_visible_to(member: Member) -> QuerySet[PartnerGroup]:
    if not access.can(member, PARTNER_GROUP, VIEW):
        raise AccessDenied
    return (
        access.scope(PartnerGroup.objects.select_related("unit"), member, PARTNER_GROUP)
        .annotate(
            members=Count("memberships", filter=Q(memberships__left_at__isnull=True), distinct=True)
        )
        .order_by("unit__path", "name")
    )


def access_group(member: Member, pk: Any, *, for_write: bool = False) -> PartnerGroup:
    return access.access(
        member, PartnerGroup.objects.select_related("unit"), PARTNER_GROUP, pk, for_write=for_write
    )


def group_endpoints(group: PartnerGroup) -> QuerySet[Endpoint]:
    return group.endpoints.order_by("channel", "name", "pk")


def group_endpoint(group: PartnerGroup, pk: Any) -> Endpoint:
    """One of the group's bots or webhooks; anything else is NotFound."""
    found = group.endpoints.filter(pk=_pk(pk)).first()
    if found is None:
        raise NotFound
    return found


def masked_url(url: str) -> str:
    """An endpoint's address as shown back: the query's values hidden (a WeCom bot's key,
    a DingTalk bot's access token are credentials)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = "&".join(
        f"{name}=***" if value else name for name, value in parse_qsl(parts.query, True)
    )
    return urlunsplit(parts._replace(query=query))


def group_members(group: PartnerGroup) -> QuerySet[Partner]:
    return Partner.objects.filter(
        memberships__group=group, memberships__left_at__isnull=True
    ).order_by("display_name")


def alerts_visible_to(member: Member, *, status: str = "") -> QuerySet[Alert]:
    if not access.can(member, ALERT, VIEW):
        raise AccessDenied
    qs = access.scope(Alert.objects.select_related("unit"), member, ALERT)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("texts").order_by("-created_at", "-pk")


def access_alert(member: Member, pk: Any, *, for_write: bool = False) -> Alert:
    return access.access(
        member,
        Alert.objects.select_related("unit", "created_by", "approved_by"),
        ALERT,
        pk,
        for_write=for_write,
    )


def groups_for_unit(unit: Unit) -> QuerySet[PartnerGroup]:
    return PartnerGroup.objects.filter(
        access.subtree_q(unit, "unit__path"), is_active=True
    ).order_by("name")


def places_for_unit(unit: Unit) -> QuerySet[Place]:
    return Place.objects.filter(access.subtree_q(unit, "unit__path"), is_active=True).order_by(
        "name"
    )


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int
    sent: int
    dead: int
    skipped: int

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.dead + self.skipped


def delivery_counts(alert: Alert) -> DeliveryCounts:
    rows = dict(
        Delivery.objects.filter(topic=alert.topic)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return DeliveryCounts(
        pending=rows.get(DeliveryStatus.PENDING, 0) + rows.get(DeliveryStatus.SENDING, 0),
        sent=rows.get(DeliveryStatus.SENT, 0),
        dead=rows.get(DeliveryStatus.DEAD, 0),
        skipped=rows.get(DeliveryStatus.SKIPPED, 0),
    )


def dead_letters(alert: Alert) -> QuerySet[Delivery]:
    return Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.DEAD).order_by("pk")


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    what: str  # issued, updated, cancelled, resolved, delivered, ack, sighting
    text: str = ""
    count: int = 0


def timeline(alert: Alert) -> list[TimelineEvent]:
    """issued → delivered → acknowledgements and sightings → updates → resolved, in time
    order (the first delivery stands for "delivered", with the number sent)."""
    events: list[TimelineEvent] = []
    for v in alert.versions.order_by("number"):
        what = {MsgType.ALERT: "issued", MsgType.UPDATE: "updated"}.get(
            MsgType(v.msg_type),
            "resolved" if alert.status == AlertStatus.RESOLVED else "cancelled",
        )
        events.append(TimelineEvent(at=v.sent, what=what, text=v.note, count=v.recipients))
    sent = Delivery.objects.filter(topic=alert.topic, status=DeliveryStatus.SENT)
    first = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
    if first is not None:
        events.append(TimelineEvent(at=first, what="delivered", count=sent.count()))
    acks = alert.replies.filter(kind=ReplyKind.ACK)
    first_ack = acks.order_by("created_at").values_list("created_at", flat=True).first()
    if first_ack is not None:
        events.append(TimelineEvent(at=first_ack, what="ack", count=acks.count()))
    for reply in alert.replies.filter(kind=ReplyKind.SIGHTING).order_by("created_at"):
        events.append(TimelineEvent(at=reply.created_at, what="sighting", text=reply.text))
    return sorted(events, key=lambda e: e.at)


def time_to_resolution(alert: Alert) -> dt.timedelta | None:
    if alert.status != AlertStatus.RESOLVED or alert.issued_at is None or alert.closed_at is None:
        return None
    return alert.closed_at - alert.issued_at


def access_sighting_photo(member: Member, pk: Any) -> Reply:
    """A sighting with a photo, of an alert the member may see (404 otherwise)."""
    reply = Reply.objects.filter(pk=_pk(pk), kind=ReplyKind.SIGHTING).exclude(photo="").first()
    if reply is None or reply.alert_id is None:
        raise NotFound
    access_alert(member, reply.alert_id)
    return reply


def sightings(alert: Alert) -> QuerySet[Reply]:
    return (
        alert.replies.filter(kind=ReplyKind.SIGHTING)
        .select_related("partner")
        .order_by("-created_at")
    )


# --- The signed-in partner --------------------------------------------------------------------


def partner_alert_ids(partner: Partner) -> QuerySet[Any]:
    """Alerts with a delivery that reached the partner (any channel)."""
    return (
        Delivery.objects.filter(
            recipient=partner.recipient, status=DeliveryStatus.SENT, kind="alert"
        )
        .values_list("topic", flat=True)
        .distinct()
    )


def alerts_for_partner(partner: Partner) -> list[Alert]:
    """What was sent to the partner, newest first (nothing else exists for them)."""
    ids = [int(t.split(":", 1)[1]) for t in partner_alert_ids(partner) if t.startswith("alert:")]
    return list(
        Alert.objects.filter(pk__in=ids)
        .prefetch_related("texts")
        .order_by("-issued_at", "-pk")[:100]
    )


def access_partner_alert(partner: Partner, pk: Any) -> Alert:
    """One alert that was sent to the partner; anything else is NotFound."""
    pk = _pk(pk)
    if not Delivery.objects.filter(
        recipient=partner.recipient, topic=f"alert:{pk}", status=DeliveryStatus.SENT
    ).exists():
        raise NotFound
    return Alert.objects.select_related("unit").get(pk=pk)


def acknowledged(partner: Partner, alert: Alert) -> bool:
    return alert.replies.filter(partner=partner, kind=ReplyKind.ACK).exists()


def acknowledged_ids(partner: Partner) -> set[int]:
    """The alerts the partner acknowledged (for a list: one query, not one per alert)."""
    return set(
        Reply.objects.filter(partner=partner, kind=ReplyKind.ACK, alert__isnull=False).values_list(
            "alert_id", flat=True
        )
    )


def sightings_by(partner: Partner, alert: Alert) -> QuerySet[Reply]:
    """The partner's own sightings of the alert (nobody else's)."""
    return alert.replies.filter(partner=partner, kind=ReplyKind.SIGHTING).order_by(
        "-created_at", "-pk"
    )


def partner_group(partner: Partner, pk: Any) -> PartnerGroup:
    """A group the partner is in (now); anything else is NotFound."""
    found = (
        PartnerGroup.objects.filter(
            pk=_pk(pk), memberships__partner=partner, memberships__left_at__isnull=True
        )
        .select_related("unit")
        .first()
    )
    if found is None:
        raise NotFound
    return found


def tip_places(partner: Partner) -> QuerySet[Place]:
    """The villages and communities a partner's tip may name: those of the unit they
    registered at and of the units whose groups they are in now (a partner registered at
    one station may help another's group)."""
    units = [
        partner.unit,
        *Unit.objects.filter(
            pk__in=Membership.objects.filter(partner=partner, left_at__isnull=True).values(
                "group__unit"
            )
        ),
    ]
    where = Q(pk__in=[])
    for unit in units:
        where |= access.subtree_q(unit, "unit__path")
    return Place.objects.filter(where, is_active=True).order_by("name")


def replies_of(partner: Partner) -> QuerySet[Reply]:
    """What the partner reported."""
    return Reply.objects.filter(partner=partner).exclude(kind=ReplyKind.ACK).order_by("-created_at")


def partner_inbox(partner: Partner) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        recipient=partner.recipient, channel=Channel.INAPP, status=DeliveryStatus.SENT
    ).order_by("-created_at", "-pk")


def memberships_of(partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.filter(partner=partner, left_at__isnull=True).select_related("group")


def text_for(alert: Alert, language: str) -> Any:
    texts = {t.language: t for t in alert.texts.all()}
    return texts.get(language) or texts.get("zh-hans")


# --- Public CAP ---------------------------------------------------------------------------------


def public_version(identifier: str) -> AlertVersion:
    """A public alert's version by CAP identifier (restricted alerts are not public)."""
    if not identifier or len(identifier) > 120:
        raise NotFound
    found = (
        AlertVersion.objects.select_related("alert")
        .filter(identifier=identifier, alert__scope=AlertScope.PUBLIC)
        .first()
    )
    if found is None:
        raise NotFound
    return found


def current_public_versions(now: dt.datetime | None = None) -> list[AlertVersion]:
    """The latest version of every public alert still in force (issued, not expired)."""
    now = now or timezone.now()
    alerts = Alert.objects.filter(
        scope=AlertScope.PUBLIC, status=AlertStatus.ISSUED, expires_at__gt=now
    ).order_by("-issued_at")[:200]
    latest = []
    for alert in alerts.prefetch_related("versions", "texts"):
        versions = sorted(alert.versions.all(), key=lambda v: v.number)
        if versions:
            latest.append(versions[-1])
    return latest


def active_partner_count(unit: Unit) -> int:
    return Partner.objects.filter(
        access.subtree_q(unit, "unit__path"), status=PartnerStatus.ACTIVE
    ).count()
