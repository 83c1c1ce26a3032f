"""The dispute pages: list, record, detail with its steps, errors shown on the form with
nothing written, and the figures page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from liuqing.casework.models import Case
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.mediation.models import (
    Agreement,
    Confirmation,
    Dispute,
    Extension,
    Level,
    Party,
    PartyRole,
)
from liuqing.mediation.testing import (
    accepted,
    agreed,
    committee,
    dispute_type,
    handler,
    in_mediation,
    start,
)
from liuqing.mediation.workflow import STATE_LABELS


@pytest.fixture
def officer(world: World) -> Client:
    return login_verified(Client(), handler(world.units["S1"]))


def test_the_list_shows_disputes_of_the_jurisdiction(world: World, officer: Client) -> None:
    start(world.units["S1"], title="院墙排水")
    start(world.units["S2"], title="别处纠纷")
    body = officer.get("/mediation/").content.decode()
    assert "院墙排水" in body
    assert "别处纠纷" not in body


def test_a_list_row_shows_its_labels_and_links_to_the_dispute(
    world: World, officer: Client
) -> None:
    case = accepted(world.units["C1"], title="院墙排水")
    Dispute.objects.filter(case=case).update(risk_flag=True)
    with translation.override("en"):
        body = officer.get("/mediation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = body[body.rindex("<tr>", 0, body.index(case.number)) :]
    row = row[: row.index("</tr>")]
    assert f'href="/mediation/{case.pk}/"' in row
    assert "院墙排水" in row
    assert 'class="badge warn"' in row
    assert world.units["C1"].name in row
    assert case.category.name in row
    assert str(Level(case.dispute.level).label) in row
    assert str(STATE_LABELS[case.status]) in row
    assert timezone.localtime(case.received_at).strftime("%Y-%m-%d") in row


def test_the_lists_query_count_does_not_grow_with_the_rows(world: World, officer: Client) -> None:
    accepted(world.units["S1"], title="一")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert officer.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = ["/mediation/", "/api/v1/disputes?limit=100"]
    one = [queries(url) for url in urls]
    for n in range(3):
        accepted(world.units["C1"], title=f"更多{n}")
    assert [queries(url) for url in urls] == one


def test_recording_a_dispute_through_the_form(world: World, officer: Client) -> None:
    unit = world.units["S1"]
    response = officer.post(
        "/mediation/new/",
        {
            "unit": unit.pk,
            "committee": committee(unit).pk,
            "dispute_type": dispute_type("labour_wages").pk,
            "source": "application",
            "title": "拖欠工资",
            "facts": "包工头拖欠三名工人工资。",
            "applicant_name": "王建军",
            "applicant_phone": "13912345678",
            "respondent_name": "某建筑队",
            "respondent_organisation": "on",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(kind="dispute")
    assert case.dispute.parties.filter(is_organisation=True).count() == 1


def test_a_bad_party_phone_is_shown_on_its_field(world: World, officer: Client) -> None:
    unit = world.units["S1"]
    response = officer.post(
        "/mediation/new/",
        {
            "unit": unit.pk,
            "committee": committee(unit).pk,
            "dispute_type": dispute_type().pk,
            "source": "application",
            "title": "t",
            "facts": "f",
            "applicant_name": "王建军",
            "applicant_phone": "123",
            "respondent_name": "李明",
        },
    )
    assert response.status_code == 200
    assert "applicant_phone" in response.context["form"].errors
    assert Case.objects.count() == 0
    assert Party.objects.count() == 0


def test_the_detail_page_offers_the_steps_of_the_state(world: World, officer: Client) -> None:
    case = start(world.units["S1"])
    body = officer.get(f"/mediation/{case.pk}/").content.decode()
    assert 'id="step-accept"' in body
    assert 'id="step-agreement"' not in body
    assert officer.post(f"/mediation/{case.pk}/accept/").status_code == 302
    case.refresh_from_db()
    assert case.status == "accepted"


def test_an_extension_without_consent_shows_field_errors(world: World, officer: Client) -> None:
    case = accepted(world.units["S1"])
    response = officer.post(f"/mediation/{case.pk}/extend/", {"days": "10", "reason": "鉴定"})
    assert response.status_code == 200
    assert response.context["open_step"] == "extend"
    errors = response.context["steps"]["extend"].errors
    assert {"applicant_consent", "respondent_consent"} <= set(errors)
    assert Extension.objects.count() == 0


def _agreement_post(case: Case, *, signed: bool, obligation: bool) -> dict[str, str]:
    data = {
        "written": "1",
        "facts": "院墙排水纠纷。",
        "matters": "损失赔偿。",
        "responsibilities": "被申请人负主要责任。",
        "content": "被申请人赔偿申请人损失。",
    }
    if signed:
        data |= {"parties_signed": "on", "mediator_signed": "on", "sealed": "on"}
    if obligation:
        parties = {p.role: p.pk for p in case.dispute.parties.all()}
        data |= {
            "ob0_obligor": str(parties[PartyRole.RESPONDENT]),
            "ob0_obligee": str(parties[PartyRole.APPLICANT]),
            "ob0_action": "赔偿损失",
            "ob0_amount": "2000",
            "ob0_due_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        }
    return data


def test_an_agreement_without_obligations_on_the_page_is_an_error(
    world: World, officer: Client
) -> None:
    case = in_mediation(world.units["S1"])
    response = officer.post(
        f"/mediation/{case.pk}/agreement/", _agreement_post(case, signed=True, obligation=False)
    )
    assert response.status_code == 200
    assert response.context["open_step"] == "agreement"
    form = response.context["steps"]["agreement"]
    assert form.non_field_errors()
    assert "obligation" in " ".join(form.non_field_errors()).lower()
    assert Agreement.objects.count() == 0
    case.refresh_from_db()
    assert case.status == "in_progress"


def test_an_unsigned_written_agreement_on_the_page_is_an_error(
    world: World, officer: Client
) -> None:
    case = in_mediation(world.units["S1"])
    response = officer.post(
        f"/mediation/{case.pk}/agreement/", _agreement_post(case, signed=False, obligation=True)
    )
    assert response.status_code == 200
    errors = response.context["steps"]["agreement"].errors
    assert {"parties_signed", "mediator_signed", "sealed"} <= set(errors)
    assert Agreement.objects.count() == 0
    case.refresh_from_db()
    assert case.status == "in_progress"


def test_a_late_confirmation_application_on_the_page_is_an_error(
    world: World, officer: Client
) -> None:
    case, agreement = agreed(world.units["S1"])
    Agreement.objects.filter(pk=agreement.pk).update(
        effective_at=timezone.now() - dt.timedelta(days=31)
    )
    response = officer.post(
        f"/mediation/{case.pk}/confirm/",
        {
            "agreement": agreement.pk,
            "applied_on": timezone.localdate().isoformat(),
            "court": "伊宁市人民法院",
        },
    )
    assert response.status_code == 200
    assert response.context["open_step"] == "confirm"
    errors = response.context["steps"]["confirm"].errors
    assert "30" in " ".join(errors["applied_on"])
    assert Confirmation.objects.count() == 0


def test_recording_performance_from_the_page(world: World, officer: Client) -> None:
    case, agreement = agreed(world.units["S1"])
    obligation = agreement.obligations.get()
    response = officer.post(
        f"/mediation/{case.pk}/perform/",
        {
            "obligation": obligation.pk,
            "performed_on": timezone.localdate().isoformat(),
            "amount": "2000",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_an_unknown_step_is_404(world: World, officer: Client) -> None:
    case = start(world.units["S1"])
    assert officer.post(f"/mediation/{case.pk}/explode/").status_code == 404


def test_read_only_members_see_no_steps(world: World) -> None:
    case = start(world.units["S1"])
    auditor = login_verified(Client(), world.persona(Role.AUDITOR))
    body = auditor.get(f"/mediation/{case.pk}/").content.decode()
    assert "step-accept" not in body
    assert auditor.post(f"/mediation/{case.pk}/accept/").status_code == 403


def test_the_figures_page(world: World, officer: Client) -> None:
    agreed(world.units["S1"])
    today = timezone.localdate()
    response = officer.get(
        "/mediation/figures/",
        {"start": today.isoformat(), "end": (today + dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.context["rows"]}
    assert rows["resolution"]["value"] == "100.0%"
    bad = officer.get("/mediation/figures/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200
    assert "end" in bad.context["form"].errors


def test_the_detail_page_names_the_referrer_and_the_channels_in_words(
    world: World, officer: Client
) -> None:
    from liuqing.casework.testing import root_staff
    from liuqing.mediation import services
    from liuqing.mediation.models import Dispute, Referrer
    from liuqing.mediation.testing import APPLICANT, RESPONDENT, handler, in_mediation

    unit = world.units["S1"]
    referred = services.start_dispute(
        actor=root_staff(unit),
        unit=unit,
        committee=committee(unit),
        dispute_type=dispute_type(),
        source="referral",
        referrer="police_110",
        title="110 转来的邻里纠纷",
        facts="两户因院墙排水发生争执。",
        parties=[APPLICANT, RESPONDENT],
    )
    body = officer.get(f"/mediation/{referred.pk}/").content.decode()
    assert "110 dispatch" in body
    assert "police_110" not in body

    ended = in_mediation(unit)
    services.terminate_dispute(
        actor=handler(unit), case=ended, reason="双方分歧过大。", channels=["court", "arbitration"]
    )
    body = officer.get(f"/mediation/{ended.pk}/").content.decode()
    assert '<dd id="channels">Arbitration, A court</dd>' in body
    assert "arbitration,court" not in body

    dispute = Dispute.objects.get(pk=referred.pk)
    with translation.override("zh-hans"):
        assert dispute.referrer_label == str(Referrer.POLICE_110.label) != "110 dispatch"
        assert Dispute.objects.get(pk=ended.pk).channel_labels[0] != "Arbitration"
