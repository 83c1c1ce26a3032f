"""Retention of appeal residents' contact data (appeals.retention, rule "appeals.resident"):
after the period following the appeal's end (closed and followed up, withdrawn or merged), the
resident's name, phone and address are erased, every text of the case is redacted with the
name first, the search document is rewritten from the redacted text, and the figures and the
public pages stay as they were."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.appeals import retention as appeal_retention
from liuqing.appeals import services
from liuqing.appeals.models import Appeal, AppealChannel, AppealSearch
from liuqing.appeals.public.testing import open311_client, reset_rate_limits
from liuqing.appeals.public_selectors import request_id
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework import services as casework
from liuqing.casework.models import Case, Entry, EntryType, FollowUp
from liuqing.casework.testing import close_and_follow_up, png_upload
from liuqing.core import retention
from liuqing.core.models import AuditEvent
from liuqing.notify.models import Delivery

pytestmark = pytest.mark.django_db

NAME = "司马雀鸣"
PHONE = "13911112468"
ID_NUMBER = "650102198503171238"
ADDRESS = "幸福巷77号"
RULE = "appeals.resident"
PERIOD = dt.timedelta(days=1095)


def _columns(case: Case) -> tuple[Any, ...]:
    """What the figures read from a case and its follow-ups."""
    case.refresh_from_db()
    followups = list(
        FollowUp.objects.filter(case=case).values_list("done_at", "satisfaction", "resolved")
    )
    return (
        case.status,
        case.received_at,
        case.closed_at,
        case.closed_on_time,
        case.handling_seconds,
        case.resolve_due,
        case.reopened_count,
        case.category_id,
        case.place_id,
        case.latitude,
        case.longitude,
        case.unit_id,
        followups,
    )


def finished_appeal(cast: Cast) -> Case:
    """An appeal whose texts are full of the resident's data, closed and followed up."""
    case = services.submit_appeal(
        actor=cast.alice,
        unit=cast.unit,
        category=cast.category,
        title=f"{NAME}的羊圈",
        description=f"{NAME}反映羊圈倒了，电话{PHONE}，身份证{ID_NUMBER}，住{ADDRESS}。",
        channel=AppealChannel.HOME_VISIT,
        resident_name=NAME,
        resident_phone=PHONE,
        resident_address=ADDRESS,
        latitude="43.812345",
        longitude="87.612345",
    )
    casework.act_on_case(actor=cast.sam, case=case, action="accept")
    casework.assign_case(actor=cast.sam, case=case, owner=cast.alice, note=f"{NAME}家的事")
    casework.act_on_case(actor=cast.alice, case=case, action="start")
    casework.add_note(actor=cast.alice, case=case, text=f"内部：{NAME}的身份证{ID_NUMBER}")
    casework.record_contact(
        actor=cast.alice, case=case, method="phone", text=f"已致电{NAME} {PHONE}", public=True
    )
    casework.attach_file(
        actor=cast.alice, case=case, upload=png_upload(f"{NAME}.png"), note=f"{NAME}家羊圈照片"
    )
    casework.attach_file(
        actor=cast.alice, case=case, upload=png_upload("羊圈.png"), note="倒塌的羊圈", public=True
    )
    services.set_public_notice(
        actor=cast.sam,
        case=case,
        summary=f"{NAME}反映羊圈倒塌，电话{PHONE}",
        result="已修复",
        show=True,
    )
    close_and_follow_up(
        case,
        handler=cast.alice,
        supervisor=cast.sam,
        resolution=f"已为{NAME}修好。",
        followup_note=f"{NAME}很满意，{PHONE}",
        method="phone",
    )
    case.refresh_from_db()
    return case


def _public_pages(case: Case, key: str) -> dict[str, str]:
    reset_rate_limits()
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    assert case.public_code
    rid = request_id(case.number, case.number_unit.code)
    urls = {
        "status": reverse("appeals:public_status", kwargs={"code": case.public_code}),
        "board": reverse("appeals:public_board", kwargs={"scope": "unit", "pk": case.unit_id}),
        "open311": reverse("open311:request", kwargs={"fmt": "json", "request_id": rid}),
        "open311_ext": reverse("open311:request", kwargs={"fmt": "xml", "request_id": rid})
        + "?extensions=true",
        "updates": reverse("open311:updates", kwargs={"fmt": "json"}) + f"?api_key={key}",
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.content[:300])
        # Per-response tokens (CSRF, CSP nonces) differ between any two loads.
        text = re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
        pages[name] = re.sub(r'"X-CSRFToken": "[^"]*"', "", text)
    return pages


def test_the_purge_waits_for_the_period_after_the_end_and_the_follow_up(cast: Cast) -> None:
    case = finished_appeal(cast)
    open_case = services.submit_appeal(
        actor=cast.alice,
        unit=cast.unit,
        category=cast.category,
        title="",
        description=f"{NAME}又反映一件事。",
        channel=AppealChannel.PHONE,
        resident_name=NAME,
    )
    assert case.closed_at is not None
    assert retention.RULES[RULE].days == 1095
    assert retention.due()[RULE] == 0  # within the period: nothing yet
    assert retention.due(case.closed_at + PERIOD - dt.timedelta(minutes=1))[RULE] == 0
    later = timezone.now() + PERIOD + dt.timedelta(days=1)
    assert retention.due(later)[RULE] == 1  # the open appeal is never due
    # A follow-up done late holds the purge back until the period after it has passed.
    FollowUp.objects.filter(case=case).update(done_at=later - PERIOD + dt.timedelta(days=1))
    assert retention.due(later)[RULE] == 0
    FollowUp.objects.filter(case=case).update(done_at=None, due_at=later)
    assert retention.due(later)[RULE] == 0, "a follow-up still to do holds it back"
    FollowUp.objects.filter(case=case).update(due_at=case.closed_at)
    assert retention.due(later)[RULE] == 1, "a follow-up lapsed long ago does not"
    # A dry run of the command counts it and changes nothing.
    out = StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert f"{RULE}: 0 past their period (kept 1095 days" in out.getvalue()
    assert Appeal.objects.get(case=case).purged_at is None
    assert Appeal.objects.get(case=open_case).purged_at is None


def test_withdrawn_appeals_are_purged_after_their_last_change(cast: Cast) -> None:
    case = services.submit_appeal(
        actor=cast.alice,
        unit=cast.unit,
        category=cast.category,
        title="",
        description=f"{NAME}反映噪音。",
        channel=AppealChannel.PHONE,
        resident_name=NAME,
        resident_phone=PHONE,
    )
    casework.act_on_case(actor=cast.sam, case=case, action="withdraw", note="本人撤回")
    case.refresh_from_db()
    assert case.status == "withdrawn"
    later = timezone.now() + PERIOD + dt.timedelta(days=1)
    assert retention.purge_expired(later)[RULE] == 1
    appeal = Appeal.objects.get(case=case)
    assert appeal.purged_at is not None
    assert appeal.resident_name.reveal() == ""


def test_the_purge_redacts_with_the_name_then_erases_it(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.LIUQING_RATE_LIMITS = dict.fromkeys(
        ("submit", "lookup", "board_pdf", "open311_post"), (100000, 60)
    )
    case = finished_appeal(cast)
    _client, key = open311_client("retention-app")
    before = _columns(case)
    public_before = _public_pages(case, key)
    assert NAME not in "".join(public_before.values())
    Delivery.objects.create(
        member=cast.alice,
        kind="case.assigned",
        subject=f"Assigned to you: {case.number} {NAME}的羊圈",
        body=f"{NAME} {PHONE}",
        link=casework.case_link(case),
        dedupe_key="retention-test",
    )
    later = timezone.now() + PERIOD + dt.timedelta(days=1)
    photos = Entry.objects.filter(case=case, type=EntryType.ATTACHMENT)
    originals = [entry.attachment.name for entry in photos]
    public_copy = photos.get(is_public=True).data["public_file"]
    assert len(originals) == 2
    assert all(default_storage.exists(path) for path in [*originals, public_copy])

    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_expired(later)[RULE] == 1

    appeal = Appeal.objects.get(case=case)
    assert appeal.purged_at is not None
    assert (appeal.resident_name.reveal(), appeal.resident_phone.reveal()) == ("", "")
    assert appeal.resident_address.reveal() == ""
    assert appeal.resident_phone_index == ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resident_name, resident_phone, resident_address FROM appeals_appeal "
            "WHERE case_id = %s",
            [case.pk],
        )
        assert cursor.fetchone() == ("", "", "")
    case.refresh_from_db()
    texts = [case.title, case.description, case.public_summary, case.public_result]
    texts += list(Entry.objects.filter(case=case).values_list("text", flat=True))
    texts += list(Entry.objects.filter(case=case).values_list("attachment_name", flat=True))
    texts += list(FollowUp.objects.filter(case=case).values_list("note", flat=True))
    texts += [d.subject + d.body for d in Delivery.objects.filter(link=casework.case_link(case))]
    texts.append(AppealSearch.objects.get(case=case).text)
    joined = "\n".join(texts)
    for secret in (NAME, "雀鸣", PHONE, ID_NUMBER):
        assert secret not in joined, secret
    assert "羊圈" in case.description, "the matter itself is still described"
    assert "羊圈" in AppealSearch.objects.get(case=case).text
    # The uploads are deleted, originals and all; the entries stay on the timeline. The photo
    # on the public record keeps its public copy (metadata stripped), so Open311 still shows it.
    assert photos.count() == 2
    assert not photos.exclude(attachment="").exists()
    assert photos.get(is_public=False).attachment_name == ""
    assert not any(default_storage.exists(path) for path in originals)
    assert default_storage.exists(public_copy)

    # The figures read the same columns as before; the public pages are unchanged.
    assert _columns(case) == before
    assert _public_pages(case, key) == public_before

    # The audit event names the kind, the period and the records, never the data.
    event = AuditEvent.objects.get(action=retention.PURGE_ACTION, object_type=RULE)
    details = json.loads(event.details)
    assert details["ids"] == [str(case.pk)]
    assert details["days"] == 1095
    for secret in (NAME, PHONE, ID_NUMBER, ADDRESS):
        assert secret not in event.details

    # Idempotent; the period is a setting.
    assert retention.purge_expired(later)[RULE] == 0
    settings.LIUQING_RETENTION_DAYS = {RULE: 30}
    assert retention.RULES[RULE].days == 30
    assert appeal_retention.RULE is retention.RULES[RULE]
