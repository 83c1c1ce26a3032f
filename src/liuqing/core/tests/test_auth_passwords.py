"""Password rules: length, deny-list, Argon2; and the member's own password form."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from liuqing.core import services
from liuqing.core.models import Member, Role
from liuqing.core.testing import PASSWORD, World, login_verified


@pytest.fixture
def chief(world: World) -> Member:
    return world.persona(Role.STATION_CHIEF)


@pytest.mark.parametrize(
    "password",
    ["short pw 1", "liuqing123456", "password1234", "LIUQING123456", "aaaaaaaaaaaaaaaa"],
)
def test_weak_passwords_are_refused(chief: Member, password: str) -> None:
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, chief)


def test_a_long_uncommon_passphrase_is_accepted(chief: Member) -> None:
    password_validation.validate_password("juniper kettle over 9 rivers", chief)


def test_no_composition_rule_by_default(chief: Member) -> None:
    password_validation.validate_password("only lower case words here", chief)


def test_passwords_are_hashed_with_argon2(world: World, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    member = services.create_member(
        actor=None,
        username="argon_check",
        full_name="Argon",
        unit=world.units["S1"],
        roles=[Role.OFFICER],
        password="juniper kettle over 9 rivers",
    )
    member.refresh_from_db()
    assert member.password.startswith("argon2")
    assert member.check_password("juniper kettle over 9 rivers")


def _change(client: Client, new: str, again: str | None = None, current: str = PASSWORD) -> Any:
    return client.post(
        reverse("core:password_change"),
        {
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short 1", "too short"),
        ("liuqing123456", "easily guessed"),
        ("password1234", "easily guessed"),
    ],
)
def test_the_password_form_shows_the_rule_next_to_the_field(
    client: Client, chief: Member, new: str, message: str
) -> None:
    login_verified(client, chief)
    response = _change(client, new)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    # The error sits in the new-password field's block, not at the top of the form.
    field_block = body.split('name="new_password"', 1)[1].split('name="new_password_again"', 1)[0]
    assert 'class="errorlist' in field_block
    chief.refresh_from_db()
    assert chief.check_password(PASSWORD)


def test_the_two_new_passwords_must_agree(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    response = _change(client, "juniper kettle over 9 rivers", "juniper kettle over 9 river")
    assert response.status_code == 400
    assert "The two new passwords differ." in response.content.decode()


def test_a_password_change_is_audited_without_the_password(client: Client, chief: Member) -> None:
    from liuqing.core.models import AuditEvent

    login_verified(client, chief)
    assert _change(client, "juniper kettle over 9 rivers").status_code == 302
    event = AuditEvent.objects.get(action="member.password")
    assert event.member_id_value == chief.pk
    assert "juniper" not in event.details


def test_the_password_form_needs_a_verified_session(client: Client, chief: Member) -> None:
    client.force_login(chief)  # password only
    response = _change(client, "juniper kettle over 9 rivers")
    assert response.status_code == 302
    chief.refresh_from_db()
    assert chief.check_password(PASSWORD)


def test_changing_the_password_by_get_is_not_possible(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    assert client.get(reverse("core:password_change")).status_code == 405
