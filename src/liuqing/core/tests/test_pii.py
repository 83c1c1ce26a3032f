"""Members' phone numbers: ciphertext at rest, masked everywhere, revealed only with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from liuqing.core import pii, selectors, services
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import World

from .structure_helpers import PHONE, PHONE_MASKED, client_for, member


def raw_row(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM core_member WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_stored_phone_is_ciphertext_with_a_blind_index(world: World) -> None:
    target = member(world, "S1", "secret_phone", phone=PHONE)
    stored, index = raw_row(target.pk)
    assert stored.startswith(f"{pii.CIPHER_PREFIX}$")
    assert "13812345678" not in stored
    assert "5678" not in stored
    assert index == pii.lookup_index(Member._meta.get_field("phone"), PHONE)  # type: ignore[arg-type]
    assert len(index) == 40
    assert "1381" not in index


def test_the_same_number_encrypts_differently_each_time(world: World) -> None:
    a = member(world, "S1", "twin_a", phone=PHONE)
    b = member(world, "S1", "twin_b", phone=PHONE)
    (cipher_a, index_a), (cipher_b, index_b) = raw_row(a.pk), raw_row(b.pk)
    assert cipher_a != cipher_b
    assert index_a == index_b


def test_changing_the_phone_updates_the_blind_index(world: World) -> None:
    target = member(world, "S1", "changer", phone=PHONE)
    services.update_member(
        actor=world.persona(Role.STATION_CHIEF), member=target, phone="139 0000 1111"
    )
    chief = world.persona(Role.STATION_CHIEF)
    assert not selectors.members_visible_to(chief, q=PHONE).exists()
    assert selectors.members_visible_to(chief, q="13900001111").get().pk == target.pk


def test_the_audit_trail_keeps_only_masked_numbers(world: World) -> None:
    target = member(world, "S1", "audited_phone", phone=PHONE)
    services.update_member(
        actor=world.persona(Role.STATION_CHIEF), member=target, phone="13900001111"
    )
    details = "".join(AuditEvent.objects.values_list("details", flat=True))
    assert PHONE_MASKED in details
    assert "139****1111" in details
    assert "13812345678" not in details
    assert "13900001111" not in details


def test_pages_and_the_api_show_the_phone_masked(world: World) -> None:
    target = member(world, "S1", "shown_masked", phone=PHONE)
    client = client_for(world.persona(Role.STATION_CHIEF))
    for url in (
        reverse("core:member_detail", kwargs={"pk": target.pk}),
        reverse("core:member_list"),
        reverse("core:member_edit", kwargs={"pk": target.pk}),
        f"/api/v1/members/{target.pk}",
        "/api/v1/members",
    ):
        body = client.get(url).content.decode()
        assert "12345678" not in body, url
    detail = client.get(reverse("core:member_detail", kwargs={"pk": target.pk})).content.decode()
    assert PHONE_MASKED in detail


def test_revealing_requires_a_reason_of_some_substance(world: World) -> None:
    target = member(world, "S1", "reveal_target", phone=PHONE)
    officer = world.persona(Role.OFFICER)
    for reason in ("", "   ", "ok"):
        with pytest.raises(ValidationError) as err:
            services.reveal_personal_data(
                actor=officer, obj=target, kind="member", field="phone", reason=reason
            )
        assert "reason" in err.value.message_dict
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    plain = services.reveal_personal_data(
        actor=officer, obj=target, kind="member", field="phone", reason="return a missed call"
    )
    assert plain == "+8613812345678"
    event = AuditEvent.objects.get(action="pii.reveal")
    assert (event.member_username, event.object_id, event.reason) == (
        officer.username,
        str(target.pk),
        "return a missed call",
    )
    assert "13812345678" not in event.details


def test_a_field_that_is_not_personal_data_cannot_be_revealed(world: World) -> None:
    target = member(world, "S1", "plain_fields")
    with pytest.raises(ValidationError):
        services.reveal_personal_data(
            actor=world.persona(Role.OFFICER),
            obj=target,
            kind="member",
            field="username",
            reason="just looking",
        )
