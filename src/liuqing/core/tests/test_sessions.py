"""Session lifetime: idle timeout, absolute lifetime, and sessions ended by deactivation and by
a password change. Time passes by rewriting the session's stored timestamps."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from liuqing.core import services
from liuqing.core.models import ApiToken, Member, Role
from liuqing.core.testing import PASSWORD, World, login_verified
from liuqing.core.tests.test_auth import full_login

PROFILE = "/profile/"


@pytest.fixture
def chief(world: World) -> Member:
    return world.persona(Role.STATION_CHIEF)


def age_session(client: Client, *, idle: int = 0, since_login: int = 0) -> None:
    """Pretend the last request was `idle` seconds ago and the login `since_login` ago."""
    session = client.session
    now = int(time.time())
    session["liuqing_seen_at"] = now - idle
    session["liuqing_login_at"] = now - since_login
    session.save()


def session_exists(key: str | None) -> bool:
    return Session.objects.filter(session_key=key).exists()


def test_login_through_the_pages_records_the_login_time(client: Client, chief: Member) -> None:
    full_login(client, chief)
    session = client.session
    assert abs(session["liuqing_login_at"] - time.time()) < 10
    assert abs(session["liuqing_seen_at"] - time.time()) < 10


def test_a_session_used_within_the_idle_timeout_stays(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    age_session(client, idle=14 * 60, since_login=11 * 3600)
    assert client.get(PROFILE).status_code == 200
    assert abs(client.session["liuqing_seen_at"] - time.time()) < 10


def test_it_ends_a_session_idle_for_more_than_fifteen_minutes(
    client: Client, chief: Member
) -> None:
    login_verified(client, chief)
    age_session(client, idle=15 * 60 + 5)
    key = client.session.session_key
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    assert not session_exists(key)
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert "Your session has ended" in login_page.content.decode()


def test_it_ends_a_session_after_twelve_hours_however_busy(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    age_session(client, idle=0, since_login=12 * 3600 + 5)
    key = client.session.session_key
    assert client.get(PROFILE).status_code == 302
    assert not session_exists(key)


def test_an_idle_session_is_refused_by_the_api_too(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    assert client.get("/api/v1/me").status_code == 200
    age_session(client, idle=16 * 60)
    assert client.get("/api/v1/me").status_code == 401


def test_the_timeouts_follow_the_settings(client: Client, chief: Member, settings: object) -> None:
    settings.SESSION_IDLE_TIMEOUT = 60  # type: ignore[attr-defined]
    login_verified(client, chief)
    age_session(client, idle=90)
    assert client.get(PROFILE).status_code == 302


def test_deactivation_ends_every_session_and_revokes_every_token(world: World) -> None:
    officer = world.persona(Role.OFFICER)
    chief = world.persona(Role.STATION_CHIEF)
    phone, desk = login_verified(Client(), officer), login_verified(Client(), officer)
    keys = [phone.session.session_key, desk.session.session_key]
    _token, secret = services.create_api_token(actor=officer, name="script")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/v1/me", **bearer).status_code == 200

    services.deactivate_member(actor=chief, member=officer, reason="left the service")

    assert not any(session_exists(k) for k in keys)
    for client in (phone, desk):
        response = client.get(PROFILE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))
    assert Client().get("/api/v1/me", **bearer).status_code == 401
    assert not ApiToken.objects.filter(member=officer, revoked_at__isnull=True).exists()
    # Nor can they log in again.
    again = Client()
    again.post(reverse("core:login"), {"username": officer.username, "password": PASSWORD})
    assert "_auth_user_id" not in again.session


def test_changing_my_password_keeps_this_session_and_ends_the_others(
    world: World, chief: Member
) -> None:
    here, elsewhere = login_verified(Client(), chief), login_verified(Client(), chief)
    other_key = elsewhere.session.session_key
    officer_client = login_verified(Client(), world.persona(Role.OFFICER))
    new = "a completely new passphrase 2024"
    response = here.post(
        reverse("core:password_change"),
        {"current_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert response.status_code == 302
    assert here.get(PROFILE).status_code == 200
    assert not session_exists(other_key)
    assert elsewhere.get(PROFILE).status_code == 302
    # Other members' sessions are untouched.
    assert officer_client.get(PROFILE).status_code == 200
    chief.refresh_from_db()
    assert chief.check_password(new)


def test_a_wrong_current_password_changes_nothing(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    other = login_verified(Client(), chief)
    response = client.post(
        reverse("core:password_change"),
        {
            "current_password": "not my password",
            "new_password": "a completely new passphrase 2024",
            "new_password_again": "a completely new passphrase 2024",
        },
    )
    assert response.status_code == 400
    assert "The current password is wrong." in response.content.decode()
    assert other.get(PROFILE).status_code == 200
    chief.refresh_from_db()
    assert chief.check_password(PASSWORD)
