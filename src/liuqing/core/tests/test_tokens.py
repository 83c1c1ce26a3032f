"""API tokens: on the profile page and through /api/v1/me; and the acting member over the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liuqing.core import services
from liuqing.core.models import ApiToken, AuditEvent, Member, Role
from liuqing.core.testing import World, login_verified

ME = "/api/v1/me"
TOKENS = "/api/v1/me/tokens"


@pytest.fixture
def chief(world: World) -> Member:
    return world.persona(Role.STATION_CHIEF)


@pytest.fixture
def verified(client: Client, chief: Member) -> Client:
    return login_verified(client, chief)


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post_json(client: Client, url: str, data: Any, **extra: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


# --- Profile page ----------------------------------------------------------------------------


def test_the_profile_shows_name_unit_and_roles(verified: Client, chief: Member) -> None:
    body = verified.get(reverse("core:profile")).content.decode()
    assert chief.full_name in body
    assert chief.unit.name in body
    assert "Station chief" in body


def test_the_profile_lists_my_tokens_and_not_others(
    verified: Client, chief: Member, world: World
) -> None:
    mine, _s = services.create_api_token(actor=chief, name="duty-room screen")
    services.revoke_api_token(actor=chief, token=mine)
    services.create_api_token(actor=chief, name="night report")
    services.create_api_token(actor=world.persona(Role.OFFICER), name="officer's script")
    body = verified.get(reverse("core:profile")).content.decode()
    assert "duty-room screen" in body
    assert "night report" in body
    assert mine.prefix in body
    assert "revoked" in body
    assert "officer&#x27;s script" not in body
    assert "officer's script" not in body


def test_a_new_token_is_shown_once_and_works(verified: Client, chief: Member) -> None:
    response = verified.post(reverse("core:token_create"), {"name": "dashboard", "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("lq_")
    assert secret in response.content.decode()
    assert "shown only once" in response.content.decode()
    token = ApiToken.objects.get(member=chief)
    assert token.digest != secret
    assert secret not in token.digest
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert Client().get(ME, **bearer(secret)).json()["username"] == chief.username
    assert secret not in verified.get(reverse("core:profile")).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "days": "30"}, "name"),
        ({"name": "   ", "days": "30"}, "name"),
        ({"name": "x", "days": "0"}, "days"),
        ({"name": "x", "days": "366"}, "days"),
        ({"name": "x", "days": "abc"}, "days"),
        ({"name": "x" * 65, "days": "3"}, "name"),
        ({"name": "nul\x00", "days": "3"}, "name"),
    ],
)
def test_bad_token_input_is_a_field_error(
    verified: Client, chief: Member, data: dict[str, str], field: str
) -> None:
    response = verified.post(reverse("core:token_create"), data)
    assert response.status_code == 400
    form = response.context["token_form"]
    assert field in form.errors
    assert not ApiToken.objects.filter(member=chief).exists()


def test_i_can_revoke_my_token(verified: Client, chief: Member) -> None:
    token, secret = services.create_api_token(actor=chief, name="old")
    response = verified.post(reverse("core:token_revoke"), {"token_id": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(ME, **bearer(secret)).status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


def test_i_cannot_revoke_someone_elses_token(verified: Client, world: World) -> None:
    token, _secret = services.create_api_token(actor=world.persona(Role.OFFICER), name="theirs")
    response = verified.post(reverse("core:token_revoke"), {"token_id": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "99999999999999999999999"])
def test_a_bad_token_id_is_a_clear_refusal(verified: Client, value: str) -> None:
    response = verified.post(reverse("core:token_revoke"), {"token_id": value})
    assert response.status_code in (400, 404)


def test_revoking_by_get_is_not_possible(verified: Client, chief: Member) -> None:
    token, _secret = services.create_api_token(actor=chief, name="old")
    assert verified.get(reverse("core:token_revoke"), {"token_id": token.pk}).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_pages_need_a_verified_session(client: Client, chief: Member) -> None:
    client.force_login(chief)  # password only
    response = client.post(reverse("core:token_create"), {"name": "x", "days": "3"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


# --- /api/v1/me ------------------------------------------------------------------------------


def test_me_describes_the_acting_member(chief: Member) -> None:
    _token, secret = services.create_api_token(actor=chief, name="t")
    body = Client().get(ME, **bearer(secret)).json()
    assert body == {
        "id": chief.pk,
        "username": chief.username,
        "full_name": chief.full_name,
        "unit": {
            "id": chief.unit.pk,
            "code": chief.unit.code,
            "name": chief.unit.name,
            "kind": "station",
        },
        "roles": ["station_chief"],
    }


def test_me_works_for_a_verified_session(verified: Client, chief: Member) -> None:
    assert verified.get(ME).json()["id"] == chief.pk


def test_me_refuses_a_password_only_session_and_strangers(client: Client, chief: Member) -> None:
    assert Client().get(ME).status_code == 401
    client.force_login(chief)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert Client().get(ME, **bearer("lq_0000000000_nope")).status_code == 401


def test_an_expired_token_is_refused(chief: Member) -> None:
    token, secret = services.create_api_token(actor=chief, name="t", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(ME, **bearer(secret)).status_code == 401


def test_the_api_lists_only_my_tokens(chief: Member, world: World) -> None:
    _t, secret = services.create_api_token(actor=chief, name="mine")
    services.create_api_token(actor=world.persona(Role.OFFICER), name="theirs")
    body = Client().get(TOKENS, **bearer(secret)).json()
    assert [t["name"] for t in body] == ["mine"]
    assert set(body[0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "usable",
    }
    assert "digest" not in json.dumps(body)


def test_a_verified_session_creates_a_token_over_the_api(verified: Client, chief: Member) -> None:
    response = post_json(verified, TOKENS, {"name": "cli", "days": 10})
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("lq_")
    assert body["token"]["name"] == "cli"
    assert Client().get(ME, **bearer(body["secret"])).json()["id"] == chief.pk


def test_session_token_creation_needs_csrf(chief: Member) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), chief)
    response = post_json(client, TOKENS, {"name": "cli", "days": 10})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_password_only_session_cannot_create_a_token(client: Client, chief: Member) -> None:
    client.force_login(chief)
    assert post_json(client, TOKENS, {"name": "cli", "days": 10}).status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_can_create_a_token_that_does_not_outlive_it(chief: Member) -> None:
    _parent, secret = services.create_api_token(actor=chief, name="parent", days=30)
    ok = post_json(Client(), TOKENS, {"name": "child", "days": 29}, **bearer(secret))
    assert ok.status_code == 201
    too_long = post_json(Client(), TOKENS, {"name": "child", "days": 60}, **bearer(secret))
    assert too_long.status_code == 422
    assert "days" in too_long.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "days": 5}, "name"),
        ({"name": "x", "days": 0}, "days"),
        ({"name": "x", "days": 100000}, "days"),
        ({"name": "x", "days": "many"}, "days"),
        ({"name": "   ", "days": 5}, "name"),
        ({"name": "a\u0000b", "days": 5}, "name"),
        ({"days": 5}, "name"),
    ],
)
def test_bad_api_token_input_gets_field_errors(
    verified: Client, chief: Member, body: dict[str, Any], field: str
) -> None:
    response = post_json(verified, TOKENS, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not ApiToken.objects.exists()


def test_extra_fields_cannot_make_a_token_for_someone_else(
    verified: Client, chief: Member, world: World
) -> None:
    officer = world.persona(Role.OFFICER)
    response = post_json(verified, TOKENS, {"name": "x", "days": 5, "member": officer.pk})
    assert response.status_code == 201
    assert ApiToken.objects.get().member_id == chief.pk


def test_the_api_revokes_my_token(chief: Member) -> None:
    token, secret = services.create_api_token(actor=chief, name="old")
    _other, admin_secret = services.create_api_token(actor=chief, name="admin")
    response = Client().delete(f"{TOKENS}/{token.pk}", **bearer(admin_secret))
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert response.json()["usable"] is False
    assert Client().get(ME, **bearer(secret)).status_code == 401
    # Revoking again is harmless.
    assert Client().delete(f"{TOKENS}/{token.pk}", **bearer(admin_secret)).status_code == 200


def test_the_api_answers_404_for_someone_elses_token(chief: Member, world: World) -> None:
    theirs, _s = services.create_api_token(actor=world.persona(Role.OFFICER), name="theirs")
    _t, secret = services.create_api_token(actor=chief, name="mine")
    response = Client().delete(f"{TOKENS}/{theirs.pk}", **bearer(secret))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("token_id", ["abc", "0", "-5", "99999999999999999999999"])
def test_a_bad_token_id_is_a_client_error_over_the_api(chief: Member, token_id: str) -> None:
    _t, secret = services.create_api_token(actor=chief, name="mine")
    response = Client().delete(f"{TOKENS}/{token_id}", **bearer(secret))
    assert 400 <= response.status_code < 500


def test_a_token_of_a_deactivated_member_stops_working(chief: Member, world: World) -> None:
    officer = world.persona(Role.OFFICER)
    _t, secret = services.create_api_token(actor=officer, name="t")
    services.deactivate_member(actor=chief, member=officer, reason="moved away")
    assert Client().get(ME, **bearer(secret)).status_code == 401
