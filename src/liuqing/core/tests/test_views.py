"""The structure pages: what each role sees and may do, field errors, htmx, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from liuqing.core import audit, services
from liuqing.core.models import (
    AuditEvent,
    AuditOutcome,
    Member,
    Place,
    Role,
    SensitiveGrant,
    SensitiveLabel,
    Team,
    TeamPosition,
    Unit,
    UnitKind,
)
from liuqing.core.testing import PASSWORD, World, make_member

from .structure_helpers import PHONE, PHONE_MASKED, client_for, count_queries, member, place, root

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- Home and navigation -----------------------------------------------------------------------


def test_the_home_page_shows_the_unit_its_ancestors_and_the_jurisdiction(world: World) -> None:
    place(world, "C1", "一村")
    response = client_for(world.persona(Role.OFFICER)).get(reverse("core:home"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert [c.unit.code for c in summary.crumbs] == ["T654000", "T654002", "T654002-01"]
    assert (summary.sub_units, summary.members, summary.places) == (2, len(Role.values), 1)
    body = text(response)
    assert "测试一大队" in body
    assert reverse("core:unit_list") in body


def test_the_menu_offers_the_audit_log_only_to_those_who_may_read_it(world: World) -> None:
    officer_page = text(client_for(world.persona(Role.OFFICER)).get(reverse("core:home")))
    auditor_page = text(client_for(world.persona(Role.AUDITOR)).get(reverse("core:home")))
    assert reverse("core:member_list") in officer_page
    assert reverse("core:audit") not in officer_page
    assert reverse("core:audit") in auditor_page


# --- Units -------------------------------------------------------------------------------------


def test_the_unit_tree_lists_the_jurisdiction_indented(world: World) -> None:
    response = client_for(world.persona(Role.OFFICER)).get(reverse("core:unit_list"))
    body = text(response)
    assert "测试社区" in body
    assert "测试二所" not in body
    assert 'class="depth depth-2"' in body  # the grid, two levels below the station
    assert 'class="stack tree"' in body
    assert "data-label=" in body


def test_a_unit_outside_the_jurisdiction_is_404_and_a_read_only_role_gets_403(world: World) -> None:
    officer = client_for(world.persona(Role.OFFICER))
    assert (
        officer.get(reverse("core:unit_detail", kwargs={"pk": world.units["S2"].pk})).status_code
        == 404
    )
    assert (
        officer.get(reverse("core:unit_detail", kwargs={"pk": world.units["C1"].pk})).status_code
        == 200
    )
    assert (
        officer.get(reverse("core:unit_edit", kwargs={"pk": world.units["C1"].pk})).status_code
        == 403
    )
    assert officer.get(reverse("core:unit_create")).status_code == 403


def test_a_chief_creates_edits_and_moves_a_unit(world: World) -> None:
    chief = client_for(root(world))
    response = chief.post(
        reverse("core:unit_create"),
        {
            "parent": world.units["S1"].pk,
            "kind": UnitKind.COMMUNITY,
            "code": "N-1",
            "name": "新社区",
            "latitude": "43.81",
            "longitude": "87.61",
        },
    )
    created = Unit.objects.get(code="N-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:unit_detail", kwargs={"pk": created.pk})
    chief.post(
        reverse("core:unit_edit", kwargs={"pk": created.pk}),
        {"code": "N-1", "name": "改名", "latitude": "", "longitude": "", "is_active": "on"},
    )
    created.refresh_from_db()
    assert created.name == "改名"
    assert created.latitude is None
    assert created.is_active
    chief.post(
        reverse("core:unit_move", kwargs={"pk": created.pk}), {"parent": world.units["S2"].pk}
    )
    created.refresh_from_db()
    assert created.parent == world.units["S2"]


def test_a_bad_unit_form_shows_field_errors_and_writes_nothing(world: World) -> None:
    chief = client_for(world.persona(Role.STATION_CHIEF))
    before = AuditEvent.objects.count()
    response = chief.post(
        reverse("core:unit_create"),
        {
            "parent": world.units["S1"].pk,
            "kind": UnitKind.BRIGADE,
            "code": "T654000",
            "name": "x",
            "latitude": "123",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "latitude" in errors
    assert AuditEvent.objects.count() == before
    assert not Unit.objects.filter(name="x").exists()
    # With a valid latitude the services' own checks speak, field by field.
    response = chief.post(
        reverse("core:unit_create"),
        {"parent": world.units["S1"].pk, "kind": UnitKind.BRIGADE, "code": "T654000", "name": "x"},
    )
    assert set(response.context["form"].errors) == {"code", "kind"}


def test_a_parent_outside_the_jurisdiction_is_not_a_choice(world: World) -> None:
    chief = client_for(world.persona(Role.STATION_CHIEF))
    response = chief.post(
        reverse("core:unit_create"),
        {"parent": world.units["S2"].pk, "kind": UnitKind.COMMUNITY, "code": "N-2", "name": "x"},
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not Unit.objects.filter(code="N-2").exists()


# --- Places ------------------------------------------------------------------------------------


def test_a_sergeant_creates_a_place_with_a_boundary_and_edits_it(world: World) -> None:
    sergeant = client_for(world.persona(Role.SERGEANT))
    boundary = (
        '{"type": "Polygon", "coordinates": '
        "[[[87.6, 43.8], [87.7, 43.8], [87.7, 43.9], [87.6, 43.8]]]}"
    )
    response = sergeant.post(
        reverse("core:place_create"),
        {
            "unit": world.units["C1"].pk,
            "name": "幸福村",
            "kind": "village",
            "latitude": "43.8123456789",
            "longitude": "87.6",
            "boundary": boundary,
        },
    )
    created = Place.objects.get(name="幸福村")
    assert response.status_code == 302
    assert str(created.latitude) == "43.812346"
    page = text(sergeant.get(reverse("core:place_detail", kwargs={"pk": created.pk})))
    assert "Polygon" in page
    sergeant.post(
        reverse("core:place_edit", kwargs={"pk": created.pk}),
        {
            "name": "幸福村",
            "kind": "village",
            "latitude": "43.8",
            "longitude": "87.6",
            "boundary": "",
        },
    )
    created.refresh_from_db()
    assert created.boundary == ""
    assert not created.is_active


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"latitude": "91", "longitude": "87"}, {"latitude"}),
        ({"latitude": "43", "longitude": "east"}, {"longitude"}),
        ({"latitude": "", "longitude": ""}, {"latitude", "longitude"}),
        ({"latitude": "43", "longitude": "87", "boundary": "[1, 2"}, {"boundary"}),
        (
            {
                "latitude": "43",
                "longitude": "87",
                "boundary": '{"type": "Polygon", "coordinates": [[[1, 2]]]}',
            },
            {"boundary"},
        ),
    ],
)
def test_invalid_coordinates_or_geojson_show_per_field_and_write_nothing(
    world: World, fields: dict[str, str], bad: set[str]
) -> None:
    before = AuditEvent.objects.count()
    response = client_for(world.persona(Role.SERGEANT)).post(
        reverse("core:place_create"),
        {"unit": world.units["S1"].pk, "name": "坏村", "kind": "village", **fields},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == bad
    assert 'class="field invalid"' in text(response)
    assert not Place.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_place_list_filters_in_place_with_htmx(world: World) -> None:
    place(world, "S1", "东村")
    place(world, "C1", "西校", kind="school")
    officer = client_for(world.persona(Role.OFFICER))
    full = officer.get(reverse("core:place_list"), {"kind": "school"})
    assert "西校" in text(full)
    assert "东村" not in text(full)
    assert "<html" in text(full)
    fragment = officer.get(reverse("core:place_list"), {"q": "东"}, HTTP_HX_REQUEST="true")
    assert "东村" in text(fragment)
    assert "西校" not in text(fragment)
    assert "<html" not in text(fragment)
    assert text(fragment).startswith('<div id="results">')
    assert "HX-Request" in fragment["Vary"]


# --- Members -----------------------------------------------------------------------------------


def test_the_member_list_filters_and_paginates(world: World) -> None:
    for i in range(30):
        member(world, "C1", f"many{i:02d}")
    chief = client_for(world.persona(Role.STATION_CHIEF))
    first = chief.get(reverse("core:member_list"), {"unit": world.units["C1"].pk})
    page = first.context["page"]
    assert page.paginator.count == 30
    assert len(page.object_list) == 25
    assert "page=2" in text(first)
    assert f"unit={world.units['C1'].pk}" in text(first)
    second = chief.get(reverse("core:member_list"), {"unit": world.units["C1"].pk, "page": 2})
    assert len(second.context["page"].object_list) == 5
    by_role = chief.get(reverse("core:member_list"), {"role": Role.AUDITOR})
    assert [m.username for m in by_role.context["page"].object_list] == ["auditor_s1"]


def test_the_member_list_finds_a_whole_phone_number(world: World) -> None:
    member(world, "S1", "has_phone", phone=PHONE)
    response = client_for(world.persona(Role.OFFICER)).get(
        reverse("core:member_list"), {"q": PHONE}
    )
    assert [m.username for m in response.context["page"].object_list] == ["has_phone"]


def test_a_sibling_stations_member_is_404_for_a_station_chief(world: World) -> None:
    other = member(world, "S2", "s2_officer")
    chief = client_for(world.persona(Role.STATION_CHIEF))
    assert chief.get(reverse("core:member_detail", kwargs={"pk": other.pk})).status_code == 404
    assert "s2_officer" not in text(chief.get(reverse("core:member_list")))
    staff = client_for(make_member(world.units["B1"], [Role.BRIGADE_STAFF], "b1_staff"))
    assert staff.get(reverse("core:member_detail", kwargs={"pk": other.pk})).status_code == 200
    assert "s2_officer" in text(staff.get(reverse("core:member_list")))


def test_the_member_page_shows_the_phone_masked(world: World) -> None:
    target = member(world, "S1", "masked_one", phone=PHONE)
    page = text(
        client_for(world.persona(Role.OFFICER)).get(
            reverse("core:member_detail", kwargs={"pk": target.pk})
        )
    )
    assert PHONE_MASKED in page
    assert "12345678" not in page


def test_a_chief_creates_a_member_with_roles(world: World) -> None:
    chief = client_for(world.persona(Role.STATION_CHIEF))
    response = chief.post(
        reverse("core:member_create"),
        {
            "username": "new_officer",
            "full_name": "新警员",
            "unit": world.units["C1"].pk,
            "roles": [Role.OFFICER, Role.MEDIATOR],
            "password": PASSWORD,
            "phone": PHONE,
            "badge_number": "012345",
        },
    )
    created = Member.objects.get(username="new_officer")
    assert response.status_code == 302
    assert created.role_set == {Role.OFFICER, Role.MEDIATOR}
    assert created.phone == "+8613812345678"


def test_a_bad_member_form_shows_each_problem_on_its_field(world: World) -> None:
    response = client_for(world.persona(Role.STATION_CHIEF)).post(
        reverse("core:member_create"),
        {
            "username": "officer_s1",
            "full_name": "x",
            "unit": world.units["S1"].pk,
            "roles": [Role.OFFICER],
            "password": "short",
            "phone": "123",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"username", "password", "phone"}
    assert 'value="short"' not in text(response)  # the password is never echoed


def test_the_role_choices_hold_only_roles_the_actor_may_grant(world: World) -> None:
    chief = client_for(world.persona(Role.STATION_CHIEF))
    offered = dict(chief.get(reverse("core:member_create")).context["form"].fields["roles"].choices)
    assert Role.OFFICER in offered
    assert Role.SYSADMIN not in offered
    assert Role.AUDITOR not in offered
    assert Role.BRIGADE_STAFF not in offered
    forged = chief.post(
        reverse("core:member_create"),
        {
            "username": "forged",
            "full_name": "x",
            "unit": world.units["S1"].pk,
            "roles": [Role.SYSADMIN],
            "password": PASSWORD,
        },
    )
    assert "roles" in forged.context["form"].errors
    assert not Member.objects.filter(username="forged").exists()
    sysadmin = client_for(world.persona(Role.SYSADMIN))
    offered = dict(
        sysadmin.get(reverse("core:member_create")).context["form"].fields["roles"].choices
    )
    assert set(offered) == set(Role.values)


def test_editing_a_member_keeps_the_phone_unless_a_new_one_is_typed(world: World) -> None:
    target = member(world, "S1", "editable", phone=PHONE)
    chief = client_for(world.persona(Role.STATION_CHIEF))
    url = reverse("core:member_edit", kwargs={"pk": target.pk})
    form_page = text(chief.get(url))
    assert PHONE not in form_page
    assert "12345678" not in form_page
    chief.post(
        url, {"full_name": "新名字", "unit": world.units["C1"].pk, "phone": "", "badge_number": ""}
    )
    target.refresh_from_db()
    assert (target.full_name, target.unit, target.phone) == (
        "新名字",
        world.units["C1"],
        "+8613812345678",
    )
    chief.post(url, {"full_name": "新名字", "unit": world.units["C1"].pk, "remove_phone": "on"})
    target.refresh_from_db()
    assert not target.phone


def test_setting_roles_through_the_page(world: World) -> None:
    target = member(world, "S1", "role_change")
    client_for(world.persona(Role.STATION_CHIEF)).post(
        reverse("core:member_roles", kwargs={"pk": target.pk}), {"roles": [Role.SERGEANT]}
    )
    assert Member.objects.get(pk=target.pk).role_set == {Role.SERGEANT}


def test_deactivating_yourself_is_refused_with_an_error_on_the_form(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    response = client_for(chief).post(
        reverse("core:member_deactivate", kwargs={"pk": chief.pk}), {"reason": "tired"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Member.objects.get(pk=chief.pk).is_active


def test_deactivating_and_reactivating_a_member(world: World) -> None:
    target = member(world, "C1", "leaver")
    chief = client_for(world.persona(Role.STATION_CHIEF))
    empty = chief.post(reverse("core:member_deactivate", kwargs={"pk": target.pk}), {})
    assert "reason" in empty.context["form"].errors
    chief.post(
        reverse("core:member_deactivate", kwargs={"pk": target.pk}), {"reason": "transferred"}
    )
    assert not Member.objects.get(pk=target.pk).is_active
    chief.post(reverse("core:member_reactivate", kwargs={"pk": target.pk}))
    assert Member.objects.get(pk=target.pk).is_active


def test_a_chief_resets_a_password(world: World) -> None:
    target = member(world, "S1", "forgetful")
    chief = client_for(world.persona(Role.STATION_CHIEF))
    url = reverse("core:member_password", kwargs={"pk": target.pk})
    mismatch = chief.post(url, {"password": "a brand new passphrase 42", "password_again": "other"})
    assert "password_again" in mismatch.context["form"].errors
    chief.post(
        url,
        {"password": "a brand new passphrase 42", "password_again": "a brand new passphrase 42"},
    )
    assert Member.objects.get(pk=target.pk).check_password("a brand new passphrase 42")


def test_the_auditor_reads_everything_but_changes_nothing(world: World) -> None:
    target = member(world, "S1", "watched")
    auditor = client_for(world.persona(Role.AUDITOR))
    assert auditor.get(reverse("core:member_detail", kwargs={"pk": target.pk})).status_code == 200
    for name in ("member_edit", "member_roles", "member_deactivate", "member_password"):
        url = reverse(f"core:{name}", kwargs={"pk": target.pk})
        assert auditor.get(url).status_code == 403
        assert auditor.post(url, {"reason": "x", "roles": [Role.OFFICER]}).status_code == 403
    assert auditor.post(reverse("core:member_create"), {"username": "x"}).status_code == 403
    assert (
        auditor.post(reverse("core:member_reactivate", kwargs={"pk": target.pk})).status_code == 403
    )
    assert Member.objects.get(pk=target.pk).is_active


def test_the_administrator_manages_members_but_cannot_grant_sensitive_labels(world: World) -> None:
    target = member(world, "S1", "managed")
    sysadmin = client_for(world.persona(Role.SYSADMIN))
    sysadmin.post(
        reverse("core:member_roles", kwargs={"pk": target.pk}), {"roles": [Role.MEDIATOR]}
    )
    assert Member.objects.get(pk=target.pk).role_set == {Role.MEDIATOR}
    page = text(sysadmin.get(reverse("core:member_detail", kwargs={"pk": target.pk})))
    assert reverse("core:member_grant", kwargs={"pk": target.pk}) not in page
    response = sysadmin.post(
        reverse("core:member_grant", kwargs={"pk": target.pk}), {"label": "care"}
    )
    assert response.status_code == 403
    assert not SensitiveGrant.objects.exists()


def test_a_chief_grants_and_revokes_a_sensitive_label_on_the_member_page(world: World) -> None:
    target = member(world, "S1", "carer")
    chief = client_for(world.persona(Role.STATION_CHIEF))
    chief.post(
        reverse("core:member_grant", kwargs={"pk": target.pk}),
        {"label": SensitiveLabel.CARE, "expires_on": "2999-12-31"},
    )
    grant = SensitiveGrant.objects.get(member=target)
    assert grant.expires_at is not None
    assert timezone.localtime(grant.expires_at).date() == dt.date(3000, 1, 1)  # end of the day
    page = text(chief.get(reverse("core:member_detail", kwargs={"pk": target.pk})))
    revoke = reverse("core:member_grant_revoke", kwargs={"pk": target.pk, "grant_pk": grant.pk})
    assert revoke in page
    twice = chief.post(
        reverse("core:member_grant", kwargs={"pk": target.pk}), {"label": SensitiveLabel.CARE}
    )
    assert "label" in twice.context["form"].errors
    chief.post(revoke)
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_a_grant_of_another_member_cannot_be_revoked_through_this_one(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    a, b = member(world, "S1", "a_member"), member(world, "S1", "b_member")
    grant = services.grant_sensitive(actor=chief, member=a, label=SensitiveLabel.HEALTH)
    url = reverse("core:member_grant_revoke", kwargs={"pk": b.pk, "grant_pk": grant.pk})
    assert client_for(chief).post(url).status_code == 404


def test_revealing_a_phone_number_needs_a_reason_and_is_audited(world: World) -> None:
    target = member(world, "S1", "callme", phone=PHONE)
    officer = client_for(world.persona(Role.OFFICER))
    url = reverse("core:member_reveal_phone", kwargs={"pk": target.pk})
    form = officer.get(url)
    assert PHONE_MASKED in text(form)
    assert "+8613812345678" not in text(form)
    refused = officer.post(url, {"reason": "x"})
    assert "reason" in refused.context["form"].errors
    assert "+8613812345678" not in text(refused)
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    shown = officer.post(url, {"reason": "call about tonight's patrol"})
    assert "+8613812345678" in text(shown)
    assert "no-store" in shown["Cache-Control"]
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.reason == "call about tonight's patrol"
    assert event.object_id == str(target.pk)


# --- Teams -------------------------------------------------------------------------------------


def test_a_sergeant_creates_changes_and_deletes_a_team(world: World) -> None:
    officer = member(world, "S1", "team_officer", [Role.OFFICER])
    auxes = [member(world, "S1", f"team_aux{i}", [Role.AUXILIARY]) for i in range(4)]
    grid = member(world, "G1", "team_grid", [Role.GRID_WORKER])
    sergeant = client_for(world.persona(Role.SERGEANT))
    too_many = sergeant.post(
        reverse("core:team_create"),
        {
            "name": "一组",
            "unit": world.units["S1"].pk,
            "officer": officer.pk,
            "auxiliaries": [a.pk for a in auxes],
        },
    )
    assert too_many.status_code == 200
    assert too_many.context["form"].non_field_errors()
    assert not Team.objects.exists()
    sergeant.post(
        reverse("core:team_create"),
        {
            "name": "一组",
            "unit": world.units["S1"].pk,
            "officer": officer.pk,
            "auxiliaries": [a.pk for a in auxes[:3]],
            "grid_workers": [grid.pk],
        },
    )
    team = Team.objects.get(name="一组")
    assert team.memberships.count() == 5
    detail = text(sergeant.get(reverse("core:team_detail", kwargs={"pk": team.pk})))
    assert "team_grid" in detail
    sergeant.post(reverse("core:team_members", kwargs={"pk": team.pk}), {"officer": officer.pk})
    assert team.memberships.count() == 1
    sergeant.post(reverse("core:team_delete", kwargs={"pk": team.pk}))
    assert not Team.objects.exists()


def test_an_officer_sees_teams_but_cannot_change_them(world: World) -> None:
    officer = member(world, "S1", "team_officer", [Role.OFFICER])
    team = services.create_team(
        actor=world.persona(Role.SERGEANT),
        unit=world.units["S1"],
        name="一组",
        members=[(officer, TeamPosition.OFFICER)],
    )
    client = client_for(world.persona(Role.OFFICER))
    assert "一组" in text(client.get(reverse("core:team_list")))
    assert client.post(reverse("core:team_delete", kwargs={"pk": team.pk})).status_code == 403
    assert Team.objects.exists()


# --- Audit viewer ------------------------------------------------------------------------------


def test_viewing_the_audit_log_is_itself_audited(world: World) -> None:
    auditor = world.persona(Role.AUDITOR)
    response = client_for(auditor).get(reverse("core:audit"), {"action": "member."})
    assert response.status_code == 200
    assert "member.create" in text(response)
    assert "unit.create" not in text(response)
    viewed = AuditEvent.objects.filter(action="audit.view").get()
    assert viewed.member_username == auditor.username
    assert '"action":"member."' in viewed.details


def test_the_audit_log_is_for_auditors_and_chiefs_only(world: World) -> None:
    for role in (Role.OFFICER, Role.SERGEANT, Role.SYSADMIN, Role.ANALYST):
        client = client_for(world.persona(role))
        assert client.get(reverse("core:audit")).status_code == 403
        assert client.get(reverse("core:audit_export")).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


def test_the_audit_log_shows_only_the_subtree(world: World) -> None:
    audit.record("test.sibling", unit=world.units["S2"], object_type="x", object_id="SIBLING-1")
    audit.record("login.failed", username="ghost", outcome=AuditOutcome.DENIED)
    page = text(client_for(world.persona(Role.STATION_CHIEF)).get(reverse("core:audit")))
    assert "SIBLING-1" not in page
    assert "ghost" not in page
    top = make_member(world.units["D"], [Role.DETACHMENT_STAFF], "d_staff")
    page = text(client_for(top).get(reverse("core:audit")))
    assert "SIBLING-1" in page
    assert "ghost" in page


def test_the_audit_filters_show_errors_and_keep_working(world: World) -> None:
    response = client_for(world.persona(Role.AUDITOR)).get(
        reverse("core:audit"),
        {"date_from": "2030-01-02", "date_to": "2030-01-01", "outcome": "bogus"},
    )
    assert response.status_code == 200
    assert {"date_to", "outcome"} <= set(response.context["form"].errors)


def test_the_audit_export_is_a_csv_of_the_filtered_events_and_is_audited(world: World) -> None:
    audit.record("test.formula", unit=world.units["S1"], reason='=HYPERLINK("http://x")')
    response = client_for(world.persona(Role.STATION_CHIEF)).get(
        reverse("core:audit_export"), {"action": "test."}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["action"] for r in rows] == ["test.formula"]
    assert rows[0]["reason"].startswith("'=")  # neutralised for spreadsheets
    exported = AuditEvent.objects.get(action="audit.export")
    assert '"action":"test."' in exported.details


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["core:unit_list", "core:member_list", "core:place_list", "core:team_list", "core:audit"],
)
def test_list_pages_cost_the_same_queries_for_5_or_50_rows(world: World, name: str) -> None:
    chief = root(world)
    for i in range(52):
        services.create_unit(
            actor=chief,
            parent=world.units["S1"],
            kind=UnitKind.COMMUNITY,
            code=f"Q{i}",
            name=f"社区{i}",
        )
        officer = member(world, "S1", f"q_officer{i}", [Role.OFFICER], phone=PHONE if i % 2 else "")
        place(world, "S1", f"村{i}")
        services.create_team(
            actor=chief,
            unit=world.units["S1"],
            name=f"组{i}",
            members=[(officer, TeamPosition.OFFICER)],
        )
    client = client_for(world.persona(Role.STATION_CHIEF))
    url = reverse(name)
    client.get(url)  # warm up: session, menu
    small, status = count_queries(client, f"{url}?per_page=5")
    large, _status = count_queries(client, f"{url}?per_page=50")
    assert status == 200
    assert small == large


# --- Front-end rules ---------------------------------------------------------------------------


STRUCTURE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "core"


def test_structure_pages_need_no_inline_script_or_style_and_no_physical_directions() -> None:
    templates = [
        *list(STRUCTURE_TEMPLATES.glob("structure/*.html")),
        STRUCTURE_TEMPLATES / "home.html",
    ]
    for template in templates:
        source = template.read_text(encoding="utf-8")
        assert "style=" not in source, template.name
        assert "<script" not in source, template.name
        assert not re.search(r"\bon[a-z]+=", source), template.name
    css = (Path(settings.BASE_DIR) / "static" / "liuqing" / "structure.css").read_text(
        encoding="utf-8"
    )
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.search(r"\b(left|right)\b", rules)


def test_every_structure_table_stacks_on_a_phone(world: World) -> None:
    member(world, "S1", "anyone")
    place(world, "S1", "某村")
    client = client_for(world.persona(Role.STATION_CHIEF))
    for name in ("core:unit_list", "core:member_list", "core:place_list", "core:audit"):
        body = text(client.get(reverse(name), **EN))
        for table in re.findall(r"<table[^>]*>", body):
            assert 'class="stack' in table, name
        cells = re.findall(r"<td[^>]*>", body)
        assert cells, name
        assert all("data-label=" in td for td in cells), name
