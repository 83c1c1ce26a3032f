"""The appeals staff pages: recording on a phone, the list with its live filters and bulk
actions, one appeal, the public notice, revealing the phone, editing, the figures and the
category tree; and the whole lifecycle through pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liuqing.appeals import forms
from liuqing.appeals.models import Appeal
from liuqing.appeals.testing import submit
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework.models import Case, Category, FollowUp
from liuqing.core.models import AuditEvent, Member
from liuqing.core.testing import login_verified

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def client_for(member: Member) -> Client:
    return login_verified(Client(), member)


def record_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data = {
        "category": cast.category.pk,
        "description": "邻居家每晚放音乐到凌晨。",
        "resident_name": "王建军",
        "resident_phone": PHONE,
        "channel": "home_visit",
        "unit": cast.unit.pk,
    }
    data.update(overrides)
    return data


def text(response: Any) -> str:
    return response.content.decode()


# --- Recording --------------------------------------------------------------------------------


def test_the_record_page_puts_the_few_fields_first(cast: Cast) -> None:
    page = text(client_for(cast.grid).get(reverse("appeals:create")))
    assert page.index('name="category"') < page.index('name="description"')
    assert page.index('name="resident_phone"') < page.index('<details class="more"')
    assert page.index('<details class="more"') < page.index('name="resident_address"')
    assert 'type="tel"' in page
    assert '<option value="grid_report" selected>' in page  # a grid worker's own reports
    assert "牲畜圈舍" in page  # the default tree, grouped
    assert '<optgroup label="农牧生产">' in page


def test_recording_through_the_page(cast: Cast) -> None:
    response = client_for(cast.alice).post(reverse("appeals:create"), record_data(cast))
    case = Case.objects.get(kind="appeal")
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:detail", kwargs={"pk": case.pk})
    assert Appeal.objects.get(case=case).resident_phone.reveal() == "+86" + PHONE
    follow = client_for(cast.alice).get(response["Location"])
    assert case.number in text(follow)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": ""}, "category"),
        ({"category": "999999"}, "category"),
        ({"description": "长" * 4001}, "description"),
        ({"resident_phone": "12345"}, "resident_phone"),
    ],
)
def test_bad_input_on_the_page_shows_the_field_and_writes_nothing(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    response = client_for(cast.alice).post(
        reverse("appeals:create"), record_data(cast, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_missing_location_is_reported_on_the_place_field(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("appeals:create"), record_data(cast, category=cast.located.pk)
    )
    assert "needs a location" in " ".join(response.context["form"].errors["place"])
    assert not Case.objects.exists()


def test_an_error_in_the_folded_fields_opens_them(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("appeals:create"), record_data(cast, latitude="95", longitude="81")
    )
    assert '<details class="more" open>' in text(response)


# --- The list ---------------------------------------------------------------------------------


def test_the_list_filters_live_and_keeps_scope(cast: Cast) -> None:
    mine = submit(cast.unit, title="羊圈倒塌", description="羊圈倒塌")
    other = submit(cast.unit, title="路灯不亮")
    theirs = submit(cast.other, title="羊圈外站")
    client = client_for(cast.alice)
    page = text(client.get(reverse("appeals:list")))
    assert mine.number in page
    assert other.title in page
    assert theirs.title not in page
    fragment = client.get(reverse("appeals:list"), {"q": "羊圈"}, HTTP_HX_REQUEST="true")
    body = text(fragment)
    assert body.startswith('<div id="results">')
    assert "羊圈倒塌" in body
    assert "路灯不亮" not in body
    assert "羊圈外站" not in body


def test_the_list_ignores_a_bad_filter_value(cast: Cast) -> None:
    submit(cast.unit, title="还在")
    response = client_for(cast.alice).get(
        reverse("appeals:list"), {"category": "x", "received_from": "yesterday"}
    )
    assert response.status_code == 200
    assert "还在" in text(response)


def test_the_list_page_costs_the_same_queries_at_any_size(cast: Cast) -> None:
    client = client_for(cast.sam)
    for _ in range(2):
        submit(cast.unit)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("appeals:list")).status_code == 200
        return len(ctx.captured_queries)

    queries()
    small = queries()
    for _ in range(10):
        submit(cast.unit, place=None)
    assert queries() == small


def test_only_supervisors_see_the_bulk_controls(cast: Cast) -> None:
    submit(cast.unit)
    assert 'name="ids"' in text(client_for(cast.sam).get(reverse("appeals:list")))
    assert 'name="ids"' not in text(client_for(cast.alice).get(reverse("appeals:list")))


def test_a_sergeant_assigns_ticked_appeals(cast: Cast) -> None:
    first, second = submit(cast.unit), submit(cast.unit)
    theirs = submit(cast.other)
    client = client_for(cast.sam)
    client.post(
        reverse("appeals:bulk"),
        {"ids": [first.pk, second.pk], "action": "accept"},
    )
    response = client.post(
        reverse("appeals:bulk"),
        {
            "ids": [first.pk, second.pk, theirs.pk],
            "action": "assign",
            "owner": cast.alice.pk,
            "query": "q=x&",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:list") + "?q=x&"
    assert Case.objects.filter(owner=cast.alice).count() == 2
    theirs.refresh_from_db()
    assert theirs.owner is None
    notes = [str(m) for m in response.wsgi_request._messages]
    assert any("2 appeals done." in n for n in notes)
    assert any("not in your jurisdiction" in n for n in notes)


def owner_options(response: Any) -> set[str]:
    form = response.context["bulk_form"]
    return set(re.findall(r'<option value="(\d+)"', str(form["owner"])))


def test_the_bulk_owner_select_offers_the_handlers_of_the_unit_cut_to(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(cast.unit)
    client = client_for(cast.sam)
    everyone = owner_options(client.get(reverse("appeals:list")))
    assert {str(cast.alice.pk), str(cast.bob.pk)} <= everyone
    in_community = owner_options(client.get(reverse("appeals:list"), {"unit": cast.child.pk}))
    assert str(cast.bob.pk) in in_community
    assert str(cast.alice.pk) not in in_community
    # Too many to pick from: none offered, with the way to get a short list.
    monkeypatch.setattr(forms, "BULK_OWNERS_OFFERED", 1)
    response = client.get(reverse("appeals:list"))
    assert owner_options(response) == set()
    assert "Cut the list to a unit" in text(response)
    # Any handler in reach is still accepted.
    case = submit(cast.unit)
    client.post(reverse("appeals:bulk"), {"ids": [case.pk], "action": "accept"})
    client.post(
        reverse("appeals:bulk"), {"ids": [case.pk], "action": "assign", "owner": cast.alice.pk}
    )
    case.refresh_from_db()
    assert case.owner == cast.alice


def test_assigning_in_bulk_needs_an_owner(cast: Cast) -> None:
    case = submit(cast.unit)
    response = client_for(cast.sam).post(
        reverse("appeals:bulk"), {"ids": [case.pk], "action": "assign"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner is None


def test_an_officer_cannot_act_in_bulk(cast: Cast) -> None:
    case = submit(cast.unit)
    response = client_for(cast.alice).post(
        reverse("appeals:bulk"), {"ids": [case.pk], "action": "accept"}
    )
    assert response.status_code == 403


# --- One appeal -------------------------------------------------------------------------------


def test_the_detail_shows_the_resident_masked_and_the_timeline(cast: Cast) -> None:
    case = submit(cast.unit, resident_name="王建军", resident_phone=PHONE)
    page = text(client_for(cast.alice).get(reverse("appeals:detail", kwargs={"pk": case.pk})))
    assert "139****5678" in page
    assert PHONE not in page
    assert "王**" in page
    assert "王建军" not in page
    assert reverse("casework:case_detail", kwargs={"pk": case.pk}) in page
    assert "Received" in page  # the timeline's first entry


def test_revealing_the_phone_needs_a_reason_and_is_audited(cast: Cast) -> None:
    case = submit(cast.unit, resident_phone=PHONE)
    url = reverse("appeals:reveal_phone", kwargs={"pk": case.pk})
    client = client_for(cast.alice)
    assert PHONE not in text(client.get(url))
    refused = client.post(url, {"reason": ""})
    assert PHONE not in text(refused)
    shown = client.post(url, {"reason": "call back about the noise"})
    assert "+86" + PHONE in text(shown)
    assert shown["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.reason == "call back about the noise"
    assert event.object_id == str(case.pk)


def test_another_stations_appeal_is_a_404(cast: Cast) -> None:
    theirs = submit(cast.other)
    client = client_for(cast.alice)
    for name in ("appeals:detail", "appeals:edit", "appeals:reveal_phone"):
        assert client.get(reverse(name, kwargs={"pk": theirs.pk})).status_code == 404


def test_the_system_administrator_cannot_open_appeals(cast: Cast) -> None:
    case = submit(cast.unit)
    client = client_for(cast.sid)
    assert client.get(reverse("appeals:list")).status_code == 403
    assert client.get(reverse("appeals:detail", kwargs={"pk": case.pk})).status_code == 403
    assert client.get(reverse("appeals:figures")).status_code == 403
    assert client.get(reverse("appeals:category_list")).status_code == 200


def test_editing_keeps_personal_data_left_empty(cast: Cast) -> None:
    case = submit(cast.unit, resident_name="王建军", resident_phone=PHONE)
    url = reverse("appeals:edit", kwargs={"pk": case.pk})
    client = client_for(cast.alice)
    page = text(client.get(url))
    assert "Stored: 139****5678" in page
    assert PHONE not in page
    response = client.post(
        url,
        {
            "category": cast.category.pk,
            "description": "改过的描述",
            "channel": "phone",
            "title": "",
            "resident_name": "",
            "resident_phone": "",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    appeal = Appeal.objects.get(case=case)
    assert case.description == "改过的描述"
    assert case.channel == "phone"
    assert case.title == "改过的描述"
    assert appeal.resident_phone.reveal() == "+86" + PHONE
    assert appeal.resident_name.reveal() == "王建军"


def test_the_public_notice_is_saved_redacted_from_the_page(cast: Cast) -> None:
    case = submit(cast.unit, resident_name="王建军")
    client = client_for(cast.sam)
    response = client.post(
        reverse("appeals:notice", kwargs={"pk": case.pk}),
        {"summary": f"王建军反映噪音，电话{PHONE}", "result": "已调解", "show": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_public
    assert "王建军" not in case.public_summary
    page = text(client.get(reverse("appeals:detail", kwargs={"pk": case.pk})))
    assert "139****5678" in page
    assert PHONE not in page


def test_a_notice_without_summary_shows_the_error_on_the_page(cast: Cast) -> None:
    case = submit(cast.unit)
    response = client_for(cast.sam).post(
        reverse("appeals:notice", kwargs={"pk": case.pk}), {"summary": "", "show": "on"}
    )
    assert response.status_code == 200
    assert "Write the summary" in text(response)


def test_a_handler_who_does_not_own_it_cannot_approve_the_notice(cast: Cast) -> None:
    case = submit(cast.unit)
    page = text(client_for(cast.alice).get(reverse("appeals:detail", kwargs={"pk": case.pk})))
    assert reverse("appeals:notice", kwargs={"pk": case.pk}) not in page
    response = client_for(cast.alice).post(
        reverse("appeals:notice", kwargs={"pk": case.pk}), {"summary": "x", "show": "on"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert not case.is_public


# --- The whole lifecycle through pages --------------------------------------------------------


def test_the_lifecycle_through_the_pages(cast: Cast) -> None:
    grid, sam, alice = client_for(cast.grid), client_for(cast.sam), client_for(cast.alice)
    grid.post(reverse("appeals:create"), record_data(cast, channel="grid_report"))
    case = Case.objects.get(kind="appeal")

    def act(client: Client, action: str, note: str = "") -> None:
        response = client.post(
            reverse("casework:case_act", kwargs={"pk": case.pk}), {"action": action, "note": note}
        )
        assert response.status_code == 302, text(response)

    act(sam, "accept")
    assert (
        sam.post(
            reverse("casework:case_assign", kwargs={"pk": case.pk}), {"owner": cast.alice.pk}
        ).status_code
        == 302
    )
    act(alice, "start")
    act(alice, "resolve", "已协调邻居。")
    act(sam, "verify")
    followup = FollowUp.objects.get(case=case)
    response = alice.post(
        reverse("casework:followup_record", kwargs={"pk": followup.pk}),
        {
            "method": "phone",
            "satisfaction": "dissatisfied",
            "resolved": "no",
            "reopen": "on",
            "reopen_reason": "又开始了。",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.reopened_count == 1
    page = text(alice.get(reverse("appeals:detail", kwargs={"pk": case.pk})))
    assert "Reopened" in page
    assert "Dissatisfied" in page


# --- Figures ----------------------------------------------------------------------------------


def test_the_figures_page_shows_rates_with_their_counts(cast: Cast) -> None:
    submit(cast.unit)
    submit(cast.unit)
    response = client_for(cast.nia).get(reverse("appeals:figures"))
    page = text(response)
    assert response.status_code == 200
    assert 'title="0 / 2"' in page  # completion: none of the two closed yet
    assert "—" in page  # year on year: nothing a year before


def test_the_figures_export_is_csv(cast: Cast) -> None:
    submit(cast.unit)
    response = client_for(cast.carla).get(reverse("appeals:figures_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.splitlines()[0].startswith("unit,category,as_of,period,figure")
    assert ",completion,0.0%,0,1," in body


def test_the_figures_of_a_unit_outside_scope_fall_back_to_the_own_unit(cast: Cast) -> None:
    submit(cast.other)
    response = client_for(cast.alice).get(reverse("appeals:figures"), {"unit": cast.other.pk})
    assert response.status_code == 200
    assert response.context["report"].cut.unit == cast.unit


# --- Categories -------------------------------------------------------------------------------


def test_a_chief_adds_and_edits_a_category(cast: Cast) -> None:
    client = client_for(cast.carla)
    farm = Category.objects.get(kind="appeal", code="farm")
    response = client.post(
        reverse("appeals:category_form"),
        {
            "code": "farm.beehives",
            "name": "蜂箱",
            "parent": farm.pk,
            "resolve_days": "7",
            "needs_location": "on",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    hives = Category.objects.get(kind="appeal", code="farm.beehives")
    assert hives.parent == farm
    assert hives.needs_location
    assert hives.resolve_days == 7
    edit = client.get(reverse("appeals:category_form"), {"id": hives.pk})
    assert "蜂箱" in text(edit)
    response = client.post(
        reverse("appeals:category_form"),
        {"id": hives.pk, "name": "蜂箱被盗", "parent": farm.pk, "is_public": "on"},
    )
    assert response.status_code == 302
    hives.refresh_from_db()
    assert hives.name == "蜂箱被盗"
    assert not hives.is_active
    assert "蜂箱被盗" in text(client.get(reverse("appeals:category_list")))


def test_category_errors_stay_on_the_form(cast: Cast) -> None:
    response = client_for(cast.sid).post(
        reverse("appeals:category_form"), {"code": "farm", "name": "重复"}
    )
    assert response.status_code == 200
    assert "exists already" in text(response)


def test_an_officer_sees_categories_but_cannot_change_them(cast: Cast) -> None:
    client = client_for(cast.alice)
    assert client.get(reverse("appeals:category_list")).status_code == 200
    assert client.get(reverse("appeals:category_form")).status_code == 403
