"""Retention of safety partners (SECURITY.md, Data): once a partner has left, or has been in
no group, for `partners.partner` days (one year by default; LIUQING_RETENTION_DAYS), their
personal data is erased: name (the registration reads "#<number>" after), phone number and
its blind index, e-mail address, chosen channels, village, sign-in codes and sessions, and
what they reported (the text, location and photo of their sightings and tips; photo files
too). The registration, its memberships and its replies stay as rows, so the partner
figures (partners active in a period, acknowledgements, sightings per alert) are unchanged.
A partner who was still registered is marked left, and their unsent alerts and sign-in
codes are withdrawn."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.core import retention
from liuqing.notify import services as notify
from liuqing.partners.models import (
    Membership,
    Partner,
    PartnerSession,
    PartnerStatus,
    Reply,
    SignInCode,
)


def expired(cutoff: dt.datetime) -> QuerySet[Any]:
    """Partners not yet purged, registered before `cutoff`, in no group now, who left no
    group and did not leave the service at or after `cutoff`."""
    memberships = Membership.objects.filter(partner=OuterRef("pk"))
    return (
        Partner.objects.filter(purged_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(memberships.filter(left_at__isnull=True)))
        .exclude(Exists(memberships.filter(left_at__gte=cutoff)))
        .exclude(left_at__gte=cutoff)
    )


def with_erase_dates(partners: QuerySet[Partner]) -> QuerySet[Partner]:
    """`partners`, each with `erase_after`: when its personal data becomes due for erasure
    (the rule of `expired`: a year, or the rule's period, after the latest of registering,
    leaving the service and leaving a group), or None when erased already or in a group now
    (no date yet). Computed in the query, so a list page or API page reads it with its rows.
    Also `in_a_group` and `left_last_group`, what the date is made of."""
    memberships = Membership.objects.filter(partner=OuterRef("pk"))
    annotated = partners.annotate(
        in_a_group=Exists(memberships.filter(left_at__isnull=True)),
        left_last_group=Subquery(
            memberships.filter(left_at__isnull=False).order_by("-left_at").values("left_at")[:1]
        ),
    )
    # Greatest of the three, each missing one standing in for by the registration (SQLite's
    # MAX() of several values is NULL when any is; PostgreSQL's GREATEST skips NULLs).
    last = Greatest(
        "created_at",
        Coalesce("left_at", "created_at"),
        Coalesce("left_last_group", "created_at"),
    )
    return annotated.annotate(
        erase_after=Case(
            When(Q(purged_at__isnull=False) | Q(in_a_group=True), then=None),
            default=ExpressionWrapper(
                last + Value(dt.timedelta(days=RULE.days), output_field=DurationField()),
                output_field=DateTimeField(),
            ),
            output_field=DateTimeField(),
        )
    )


def erase_after(partner: Partner) -> dt.datetime | None:
    """The annotation `with_erase_dates` gives `partner`: when its personal data becomes due
    for erasure, or None."""
    return partner.erase_after  # type: ignore[attr-defined]


def purge(batch: list[Any]) -> None:
    ids = [p.pk for p in batch]
    now = timezone.now()
    for partner in batch:
        if partner.status != PartnerStatus.LEFT:
            for kind in ("alert", "partner_code"):
                notify.withdraw_for_recipient(
                    recipient=partner.recipient,
                    kind=kind,
                    reason=_("The partner paused or left before it was sent."),
                )
    replies = Reply.objects.filter(partner_id__in=ids)
    photos = list(replies.exclude(photo="").values_list("photo", flat=True))
    replies.update(text="", latitude=None, longitude=None, photo="")
    SignInCode.objects.filter(partner_id__in=ids).delete()
    PartnerSession.objects.filter(partner_id__in=ids).delete()
    Partner.objects.filter(pk__in=ids).update(
        display_name=Concat(Value("#"), Cast("pk", output_field=CharField())),
        phone="",
        phone_index="",
        email="",
        channels="",
        place=None,
        status=PartnerStatus.LEFT,
        left_at=Coalesce(F("left_at"), Value(now)),
        purged_at=now,
    )
    if photos:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: [default_storage.delete(name) for name in photos])


RULE = retention.register(
    retention.Rule(
        name="partners.partner",
        description="safety partners who left, or have been in no group",
        default_days=365,
        expired=expired,
        purge=purge,
    )
)
