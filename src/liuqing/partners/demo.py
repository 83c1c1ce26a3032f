"""Demo data of partners: partner groups for the demo stations, their partners, and past
alerts with their CAP versions, deliveries, acknowledgements and sightings.

* **Groups.** Every station runs a taxi drivers' group and a bazaar merchants' group; stations
  with herding villages also a herders' group. Each group has 6–12 partners (times `scale`),
  with made-up names, phone numbers 1991 xxx xxxx, a language and a home village.
* **Alerts.** The first stations (five, times `scale`) each have three past alerts before the
  demo anchor: a missing child found within hours, lost sheep found after two days, and a
  fraud warning that expired. Versions are real CAP 1.2 messages (validated like issued
  ones); deliveries were all sent; a share of partners acknowledged; the missing-child and
  livestock alerts have sightings.

Past alerts are written as rows (their times are fixed offsets from the anchor, which the
services, issuing at "now", cannot do); the CAP messages go through the same builder.
Deterministic: the generator is seeded from the demo seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from liuqing.core import demo
from liuqing.core.models import Member, Place, PlaceKind, Role, Unit
from liuqing.notify.models import Delivery, DeliveryStatus
from liuqing.notify.services import Message, publish_many
from liuqing.partners import cap, services
from liuqing.partners.models import (
    Alert,
    AlertKind,
    AlertScope,
    AlertStatus,
    AlertText,
    AlertVersion,
    Certainty,
    Membership,
    MsgType,
    Partner,
    PartnerGroup,
    PartnerStatus,
    Reply,
    ReplyKind,
    Severity,
    Urgency,
)

GROUPS = [("出租车司机群", "taxi"), ("巴扎商户群", "merchant")]
HERDERS = ("牧民群", "herder")
LANGS = ["zh-hans", "zh-hans", "ug", "kk-arab"]

STORIES = [
    {
        "kind": AlertKind.MISSING_PERSON,
        "scope": AlertScope.PUBLIC,
        "texts": {
            "zh-hans": (
                "寻找走失儿童",
                "7岁男孩，身穿红色外套，下午在巴扎走失。",
                "发现请拨打110。",
            ),
            "ug": (
                "يوقالغان بالىنى ئىزدەش",
                "7 ياشلىق ئوغۇل بالا، قىزىل چاپان كىيگەن.",
                "كۆرسىڭىز 110 غا تېلېفون قىلىڭ.",
            ),
            "kk-arab": (
                "جوعالعان بالانى ىزدەۋ",
                "7 جاسار ۇل بالا، قىزىل كۇرتە كيگەن.",
                "كورسەڭىز 110 عا حابارلاسىڭىز.",
            ),
        },
        "hours_to_close": 3,
        "status": AlertStatus.RESOLVED,
        "outcome": "孩子已在亲戚家找到，平安。",
        "sightings": ["下午三点在客运站附近看见一个穿红外套的男孩", "男孩往东边的小区走了"],
    },
    {
        "kind": AlertKind.LIVESTOCK,
        "scope": AlertScope.RESTRICTED,
        "texts": {
            "zh-hans": ("走失羊群", "30只羊（耳标蓝色）从夏牧场走失。", "发现请记下地点并报告。"),
            "ug": (
                "يۈتكەن قوي پادىسى",
                "30 قوي (كۆك قۇلاق بەلگىسى) يايلاقتىن يۈتتى.",
                "كۆرسىڭىز ئورنىنى خەۋەر قىلىڭ.",
            ),
        },
        "hours_to_close": 50,
        "status": AlertStatus.RESOLVED,
        "outcome": "羊群在东沟找到，已交还牧民。",
        "sightings": ["东沟口有一群羊，耳标是蓝色的"],
    },
    {
        "kind": AlertKind.FRAUD,
        "scope": AlertScope.PUBLIC,
        "texts": {
            "zh-hans": (
                "冒充快递客服诈骗预警",
                "有人冒充快递客服，以理赔为由要求转账。",
                "不要向陌生人转账，可拨打96110咨询。",
            ),
            "kk-arab": (
                "الاياقتىق ەسكەرتۋ",
                "بىرەۋلەر كۋرەر قىزمەتى بولىپ اقشا سۇرايدى.",
                "بەيتانىس ادامعا اقشا اۋدارماڭىز.",
            ),
        },
        "hours_to_close": 72,
        "status": AlertStatus.EXPIRED,
        "outcome": "",
        "sightings": [],
    },
]


def _author(station: Unit) -> Member | None:
    return (
        Member.objects.filter(unit=station, role_grants__role=Role.STATION_CHIEF).first()
        or Member.objects.filter(unit=station).first()
        or Member.objects.filter(role_grants__role=Role.STATION_CHIEF).first()
    )


@demo.step("partners", order=400)
def build_partners(ctx: demo.DemoContext, rng: random.Random, scale: int) -> None:
    places_by_station: dict[int, list[Place]] = {}
    for place in ctx.places:
        for station in ctx.stations:
            if place.unit.path.startswith(station.path):
                places_by_station.setdefault(station.pk, []).append(place)
                break
    groups: list[PartnerGroup] = []
    partners: list[Partner] = []
    members: list[tuple[int, int]] = []  # (partner index, group index)
    n = 0
    for station in ctx.stations:
        specs = list(GROUPS)
        villages = places_by_station.get(station.pk, [])
        if any(p.kind == PlaceKind.VILLAGE for p in villages):
            specs.append(HERDERS)
        for name, kind in specs:
            groups.append(
                PartnerGroup(
                    unit=station,
                    name=f"{station.name}{name}",
                    invite_code=services.new_invite_code(),
                    created_at=ctx.anchor - dt.timedelta(days=rng.randint(200, 700)),
                )
            )
            for _i in range(rng.randint(6, 12) * scale):
                partners.append(
                    Partner(
                        unit=station,
                        display_name=demo.person_name(rng),
                        kind=kind,
                        phone=f"1991{n:07d}",
                        language=rng.choice(LANGS),
                        channels="sms",
                        place=rng.choice(villages) if villages else None,
                        status=PartnerStatus.ACTIVE
                        if rng.random() > 0.08
                        else PartnerStatus.PAUSED,
                        consent_version=services.CONSENT_VERSION,
                        consent_at=ctx.anchor - dt.timedelta(days=rng.randint(30, 180)),
                        created_at=ctx.anchor - dt.timedelta(days=rng.randint(30, 180)),
                    )
                )
                members.append((len(partners) - 1, len(groups) - 1))
                n += 1
    with transaction.atomic():
        PartnerGroup.objects.bulk_create(groups, batch_size=1000)
        Partner.objects.bulk_create(partners, batch_size=1000)
        Membership.objects.bulk_create(
            (
                Membership(partner=partners[p], group=groups[g], joined_at=partners[p].created_at)
                for p, g in members
            ),
            batch_size=2000,
        )
        ctx.record("demo.partners", groups=len(groups), partners=len(partners))
    ctx.counts["partner_groups"] = len(groups)
    ctx.counts["partners"] = len(partners)
    group_partners: dict[int, list[Partner]] = {}
    for p, g in members:
        group_partners.setdefault(groups[g].pk, []).append(partners[p])
    for i, station in enumerate(ctx.stations[: 5 * scale]):
        author = _author(station)
        if author is None:
            continue
        station_groups = [g for g in groups if g.unit_id == station.pk]
        for j, story in enumerate(STORIES):
            issued = ctx.anchor - dt.timedelta(days=20 + 9 * j + i, hours=rng.randint(0, 10))
            _past_alert(ctx, rng, station, author, station_groups, group_partners, story, issued)


def _past_alert(
    ctx: demo.DemoContext,
    rng: random.Random,
    station: Unit,
    author: Member,
    groups: list[PartnerGroup],
    group_partners: dict[int, list[Partner]],
    story: dict[str, object],
    issued: dt.datetime,
) -> None:
    hours = float(story["hours_to_close"])  # type: ignore[arg-type]
    closed = issued + dt.timedelta(hours=hours + rng.random())
    status = str(story["status"])
    expires = closed if status == AlertStatus.EXPIRED else issued + dt.timedelta(days=3)
    texts: dict[str, tuple[str, str, str]] = story["texts"]  # type: ignore[assignment]
    targets = groups[:2]
    with transaction.atomic():
        alert = Alert.objects.create(
            unit=station,
            kind=story["kind"],
            status=status,
            scope=story["scope"],
            severity=Severity.SEVERE
            if story["kind"] == AlertKind.MISSING_PERSON
            else Severity.MODERATE,
            urgency=Urgency.IMMEDIATE,
            certainty=Certainty.OBSERVED,
            expires_at=expires,
            created_by=author,
            approved_by=author,
            created_at=issued - dt.timedelta(minutes=10),
            issued_at=issued,
            closed_at=closed,
            resolution=str(story["outcome"]),
        )
        alert.groups.set(targets)
        AlertText.objects.bulk_create(
            AlertText(alert=alert, language=lang, headline=h, description=d, instruction=ins)
            for lang, (h, d, ins) in texts.items()
        )
        recipients = sorted(
            {
                p.pk: p
                for g in targets
                for p in group_partners.get(g.pk, [])
                if p.status == PartnerStatus.ACTIVE
            }.values(),
            key=lambda p: p.pk,
        )
        versions = [(MsgType.ALERT, issued, "")]
        if status == AlertStatus.RESOLVED:
            versions.append((MsgType.CANCEL, closed, str(story["outcome"])))
        previous: list[AlertVersion] = []
        for number, (msg_type, sent, note) in enumerate(versions, start=1):
            version = AlertVersion(
                alert=alert,
                number=number,
                msg_type=msg_type,
                identifier=f"{station.code}-A{alert.pk}-{number}",
                sent=sent,
                note=note,
                issued_by=author,
                recipients=len(recipients),
            )
            message = services.cap_message(alert, version, previous)
            version.references = message.references
            xml = cap.build(message)
            problems = cap.validate(xml)
            if problems:
                raise ValueError(f"demo CAP message invalid: {problems}")
            version.xml = xml.decode("utf-8")
            version.save()
            previous.append(version)
            publish_many(
                (
                    Message(
                        member_id=None,
                        recipient=p.recipient,
                        kind="alert",
                        subject=(texts.get(p.language) or texts["zh-hans"])[0],
                        body=(texts.get(p.language) or texts["zh-hans"])[1],
                        link=services.partner_link(alert),
                        dedupe_key=f"alert:{alert.pk}:v{number}",
                        channel=channel,
                        topic=alert.topic,
                    )
                    for p in recipients
                    for channel in ("inapp", "sms")
                ),
                now=sent,
            )
            Delivery.objects.filter(
                topic=alert.topic, dedupe_key=f"alert:{alert.pk}:v{number}"
            ).update(
                status=DeliveryStatus.SENT,
                attempts=1,
                sent_at=sent + dt.timedelta(seconds=rng.randint(2, 40)),
            )
        replies = []
        for p in recipients:
            if rng.random() < 0.6:
                replies.append(
                    Reply(
                        partner=p,
                        alert=alert,
                        kind=ReplyKind.ACK,
                        created_at=issued + dt.timedelta(minutes=rng.randint(2, 60)),
                    )
                )
        for k, text in enumerate(story["sightings"]):  # type: ignore[arg-type]
            if recipients:
                replies.append(
                    Reply(
                        partner=rng.choice(recipients),
                        alert=alert,
                        kind=ReplyKind.SIGHTING,
                        text=text,
                        created_at=issued
                        + dt.timedelta(hours=hours * (k + 1) / (len(story["sightings"]) + 1)),  # type: ignore[arg-type]
                    )
                )
        Reply.objects.bulk_create(replies)
        ctx.counts["alerts"] += 1
