"""Configurable incident categories: built-in names through gettext, administrators add,
rename, order and disable categories (page and API, audited), the import and the push use
the configured set, and the data migration keeps an administrator's names."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from liuqing.core.access import AccessDenied
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified
from liuqing.incidents import services
from liuqing.incidents.models import Incident, IncidentCategory
from liuqing.incidents.testing import ledger_csv
from liuqing.incidents.tests.test_api import bearer, item, push
from liuqing.incidents.tests.test_import import imported, reasons, row

pytestmark = pytest.mark.django_db
API = "/api/v1/incidents/categories"


def category(code: str) -> IncidentCategory:
    return IncidentCategory.objects.get(code=code)


def audit_details(action: str) -> dict[str, Any]:
    event = AuditEvent.objects.filter(action=action).latest("seq")
    details = json.loads(event.details)
    details.pop("channel", None)  # who asked: the page, the API or a service call
    return details


@pytest.fixture
def admin(mapped: World) -> Member:
    return mapped.persona(Role.DETACHMENT_STAFF)


# --- Names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name"),
    [("zh-hans", "刑事"), ("en", "Criminal"), ("ug", "جىنايى ئىش"), ("kk-arab", "قىلمىستىق ءىس")],
)
def test_a_built_in_category_is_named_in_the_readers_language(language: str, name: str) -> None:
    with translation.override(language):
        assert category("criminal").label == name
        assert str(category("criminal")) == name


def test_a_renamed_built_in_category_keeps_its_name_in_every_language(admin: Member) -> None:
    services.change_category(
        actor=admin, category=category("fire"), name="火灾事故", order=70, is_active=True
    )
    for language in ("zh-hans", "en", "ug"):
        with translation.override(language):
            assert category("fire").label == "火灾事故"
    # Emptied again: translated again.
    services.change_category(
        actor=admin, category=category("fire"), name="", order=70, is_active=True
    )
    with translation.override("en"):
        assert category("fire").label == "Fire"


def test_the_data_migration_empties_only_the_seeded_names() -> None:
    migration = importlib.import_module("liuqing.incidents.migrations.0005_translated_categories")
    IncidentCategory.objects.filter(code="criminal").update(name="刑事")  # as seeded
    IncidentCategory.objects.filter(code="traffic").update(name="道路交通")  # renamed
    migration.translate(apps, None)
    assert category("criminal").name == ""
    assert category("traffic").name == "道路交通"
    migration.untranslate(apps, None)
    assert category("criminal").name == "刑事"
    assert category("traffic").name == "道路交通"


# --- Adding and changing ------------------------------------------------------------------


def test_an_administrator_adds_a_category_audited(admin: Member) -> None:
    added = services.add_category(actor=admin, code="drugs", name="涉毒", order="35")
    assert (added.code, added.name, added.order, added.is_active) == ("drugs", "涉毒", 35, True)
    assert not added.is_builtin
    assert audit_details("incident.category_add") == {
        "code": "drugs",
        "name": "涉毒",
        "order": 35,
        "is_active": True,
    }
    codes = list(IncidentCategory.objects.values_list("code", flat=True))
    assert codes.index("drugs") == codes.index("telecom_fraud") + 1  # order 35: after 30


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "", "name": "新类", "order": 1}, "code"),
        ({"code": "Bad Code", "name": "新类", "order": 1}, "code"),
        ({"code": "9lives", "name": "新类", "order": 1}, "code"),
        ({"code": "traffic", "name": "新类", "order": 1}, "code"),  # taken
        ({"code": "jiaotong", "name": "交通", "order": 1}, "name"),  # a built-in name
        ({"code": "jiaotong", "name": "Traffic", "order": 1}, "name"),  # ... in English
        ({"code": "newkind", "name": "", "order": 1}, "name"),
        ({"code": "newkind", "name": "x" * 65, "order": 1}, "name"),
        ({"code": "newkind", "name": "新类", "order": -1}, "order"),
        ({"code": "newkind", "name": "新类", "order": "soon"}, "order"),
    ],
)
def test_a_bad_new_category_is_a_field_error_and_nothing_is_written(
    admin: Member, values: dict[str, Any], field: str
) -> None:
    before = IncidentCategory.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.add_category(actor=admin, **values)
    assert field in exc.value.message_dict
    assert IncidentCategory.objects.count() == before
    assert not AuditEvent.objects.filter(action="incident.category_add").exists()


def test_only_administrators_change_the_categories(mapped: World) -> None:
    for role in (Role.ANALYST, Role.STATION_CHIEF, Role.OFFICER, Role.AUDITOR):
        with pytest.raises(AccessDenied):
            services.add_category(actor=mapped.persona(role), code="x", name="X", order=1)
        with pytest.raises(AccessDenied):
            services.change_category(
                actor=mapped.persona(role),
                category=category("fire"),
                name="",
                order=1,
                is_active=False,
            )
    sysadmin = mapped.persona(Role.SYSADMIN)
    assert services.add_category(actor=sysadmin, code="x", name="X", order=1).pk


def test_rename_reorder_and_disable_are_audited_with_what_changed(admin: Member) -> None:
    services.change_category(
        actor=admin, category=category("dispute"), name="矛盾纠纷", order=5, is_active=False
    )
    dispute = category("dispute")
    assert (dispute.name, dispute.order, dispute.is_active) == ("矛盾纠纷", 5, False)
    assert audit_details("incident.category_change") == {
        "code": "dispute",
        "changes": {"is_active": [True, False], "name": ["", "矛盾纠纷"], "order": [50, 5]},
    }
    events = AuditEvent.objects.filter(action="incident.category_change").count()
    services.change_category(
        actor=admin, category=category("dispute"), name="矛盾纠纷", order=5, is_active=False
    )
    assert AuditEvent.objects.filter(action="incident.category_change").count() == events


def test_a_custom_category_needs_a_name_and_one_category_stays_active(admin: Member) -> None:
    drugs = services.add_category(actor=admin, code="drugs", name="涉毒", order=35)
    with pytest.raises(ValidationError) as exc:
        services.change_category(actor=admin, category=drugs, name="", order=35, is_active=True)
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.change_category(
            actor=admin, category=drugs, name="其他", order=35, is_active=True
        )  # the built-in "other" in Chinese
    assert "name" in exc.value.message_dict
    IncidentCategory.objects.exclude(code="drugs").update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.change_category(
            actor=admin, category=category("drugs"), name="涉毒", order=35, is_active=False
        )
    assert "is_active" in exc.value.message_dict
    assert category("drugs").is_active


# --- The configured set on import and push --------------------------------------------------


def test_the_import_takes_new_translated_and_refuses_disabled_categories(
    mapped: World, admin: Member
) -> None:
    analyst = mapped.persona(Role.ANALYST)
    old = imported(analyst, mapped, ledger_csv([row("D0", 警情类别="纠纷")]))
    assert old.rows_created == 1
    services.add_category(actor=admin, code="drugs", name="涉毒", order=35)
    services.change_category(
        actor=admin, category=category("dispute"), name="", order=50, is_active=False
    )
    content = ledger_csv(
        [
            row("D1", 警情类别="涉毒"),  # the new category by name
            row("D2", 警情类别="drugs"),  # ... by code
            row("D3", 警情类别="Traffic"),  # a built-in one by its English name
            row("D4", 警情类别="纠纷"),  # disabled
            row("D5", 警情类别="dispute"),  # disabled, by code
            row("D6", 警情类别="赌博"),  # unknown
        ]
    )
    run = imported(analyst, mapped, content)
    assert (run.rows_created, run.rows_rejected) == (3, 3)
    assert Incident.objects.get(source_id="D1").category.code == "drugs"
    assert Incident.objects.get(source_id="D3").category.code == "traffic"
    why = reasons(run)
    # Rows are numbered as in the file (the header is row 1).
    assert why[5] == why[6] == "This category is disabled: it takes no new incidents."
    assert why[7].startswith("Unknown category")
    # History stays with the disabled category.
    assert Incident.objects.get(source_id="D0").category.code == "dispute"


def test_the_push_refuses_a_disabled_category_and_takes_a_new_one(
    mapped: World, admin: Member
) -> None:
    services.add_category(actor=admin, code="drugs", name="涉毒", order=35)
    services.change_category(
        actor=admin, category=category("fire"), name="", order=70, is_active=False
    )
    body = {
        "source_system": "110",
        "items": [item("Q1", category="drugs"), item("Q2", category="fire")],
    }
    data = push(mapped.persona(Role.ANALYST), body).json()
    assert [i["status"] for i in data["items"]] == ["created", "rejected"]
    assert data["items"][1]["errors"][0]["field"] == "category"
    assert "disabled" in data["items"][1]["errors"][0]["reason"]


def test_a_mapping_onto_a_disabled_category_is_refused(mapped: World, admin: Member) -> None:
    services.change_category(
        actor=admin, category=category("fire"), name="", order=70, is_active=False
    )
    with pytest.raises(ValidationError) as exc:
        services.map_category(
            actor=mapped.persona(Role.ANALYST),
            source_system="jjxt",
            source_text="起火",
            category=category("fire"),
        )
    assert "category" in exc.value.message_dict


# --- The page and the API -------------------------------------------------------------------


def test_the_settings_page_adds_edits_and_shows_errors(mapped: World, admin: Member) -> None:
    client = login_verified(Client(), admin)
    url = reverse("incidents:category_settings")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Help and rescue" in page
    assert 'name="action" value="add"' in page
    refused = client.post(url, {"action": "add", "code": "Bad Code", "name": "X", "order": "1"})
    assert refused.status_code == 200
    assert "Lower-case letters" in refused.content.decode()
    assert not IncidentCategory.objects.filter(name="X").exists()
    added = client.post(url, {"action": "add", "code": "drugs", "name": "涉毒", "order": "35"})
    assert added.status_code == 302
    form = client.get(f"{url}?edit=drugs").content.decode()
    assert 'name="category" value="drugs"' in form
    saved = client.post(
        url, {"action": "change", "category": "drugs", "name": "涉毒类", "order": "36"}
    )
    assert saved.status_code == 302
    drugs = category("drugs")
    assert (drugs.name, drugs.order, drugs.is_active) == ("涉毒类", 36, False)  # box unticked
    assert "涉毒类" in client.get(url).content.decode()


def test_the_settings_page_is_read_only_for_viewers(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.ANALYST))
    url = reverse("incidents:category_settings")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "刑事" in page
    assert 'name="action"' not in page
    assert (
        client.post(url, {"action": "add", "code": "x", "name": "X", "order": "1"}).status_code
        == 403
    )
    assert client.get(url + "?edit=fire").content.decode().count('name="action"') == 0


def test_the_api_lists_adds_and_changes_categories(mapped: World, admin: Member) -> None:
    headers = bearer(admin)
    listed = Client().get(API, HTTP_ACCEPT_LANGUAGE="en", **headers).json()
    assert listed[0] == {
        "code": "criminal",
        "name": "Criminal",
        "custom_name": "",
        "builtin": True,
        "order": 10,
        "active": True,
    }
    created = Client().post(
        API,
        json.dumps({"code": "drugs", "name": "涉毒", "order": 35}),
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["builtin"] is False
    bad = Client().post(
        API,
        json.dumps({"code": "fire", "name": "火", "order": 1}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    changed = Client().patch(
        API,
        json.dumps({"code": "fire", "active": False}),
        content_type="application/json",
        **headers,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["active"] is False
    assert changed.json()["order"] == 70
    unknown = Client().patch(
        API,
        json.dumps({"code": "nope", "active": False}),
        content_type="application/json",
        **headers,
    )
    assert unknown.status_code == 422
    analyst = bearer(mapped.persona(Role.ANALYST))
    assert Client().get(API, **analyst).status_code == 200
    refused = Client().patch(
        API,
        json.dumps({"code": "fire", "active": True}),
        content_type="application/json",
        **analyst,
    )
    assert refused.status_code == 403
    assert not category("fire").is_active
