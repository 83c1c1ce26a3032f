"""The key ring file: `keys init`, `keys rotate`, `keys reencrypt`."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from pytest_django.fixtures import Settings

from liuqing import cli
from liuqing.core import keys, pii
from liuqing.core.models import AuditEvent, Member
from liuqing.core.testing import World

PHONES = ("13800000001", "13912345678", "15000001111")


@pytest.fixture
def ring_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[Path]:
    """The suite's test ring, moved into a file that LIUQING_KEYRING_FILE points at."""
    path = tmp_path / "keys.json"
    ring = pii.KeyRing.from_json(settings.LIUQING_KEYRING)
    keys.write_ring_file(path, ring, replace=False)
    monkeypatch.setenv("LIUQING_KEYRING_FILE", str(path))
    settings.LIUQING_KEYRING = ""
    pii.reset_keyring_cache()
    yield path
    pii.reset_keyring_cache()


def give_phones(world: World) -> list[Member]:
    members = list(Member.objects.order_by("pk")[: len(PHONES)])
    for member, phone in zip(members, PHONES, strict=True):
        member.phone = phone
        member.save()
    return members


def stored_phones() -> list[str]:
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE phone <> ''")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_init_writes_a_private_ring_and_refuses_to_overwrite_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sub" / "keys.json"
    monkeypatch.setenv("LIUQING_KEYRING_FILE", str(path))
    assert cli.main(["keys", "init"]) == 0
    assert mode_of(path) == 0o600
    ring = pii.KeyRing.from_json(path.read_text())
    assert ring.active in ring.keys
    assert "Back this file up" in capsys.readouterr().out
    before = path.read_text()
    assert cli.main(["keys", "init"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert path.read_text() == before


def test_rotation_reencrypts_every_value_under_the_new_key_and_keeps_the_old_keys(
    world: World, ring_file: Path
) -> None:
    members = give_phones(world)
    old = pii.KeyRing.from_json(ring_file.read_text())
    assert {pii.key_id_of(v) for v in stored_phones()} == {old.active}

    report = keys.rotate(batch_size=2)

    new = pii.KeyRing.from_json(ring_file.read_text())
    assert new.active != old.active
    assert set(old.keys) < set(new.keys)
    assert mode_of(ring_file) == 0o600
    assert report.values == len(PHONES)
    assert report.columns["core.member.phone"] == len(PHONES)
    # A raw read shows the new key id on every stored value …
    assert {pii.key_id_of(v) for v in stored_phones()} == {new.active}
    # … and the values and their blind index are unchanged.
    field = Member._meta.get_field("phone")
    assert isinstance(field, pii.EncryptedField)
    for member, phone in zip(members, PHONES, strict=True):
        fresh = Member.objects.get(pk=member.pk)
        assert fresh.phone.reveal() == pii.normalise_phone(phone)
        assert Member.objects.get(phone_index=pii.lookup_index(field, phone)) == member
    event = AuditEvent.objects.get(action="keys.rotate")
    details = json.loads(event.details)
    assert details["values"] == len(PHONES)
    assert details["previous"] == old.active
    assert details["active"] == new.active


def test_a_deferred_rotation_is_finished_by_reencrypt(world: World, ring_file: Path) -> None:
    give_phones(world)
    old = pii.KeyRing.from_json(ring_file.read_text()).active
    report = keys.rotate(reencrypt=False)
    assert report.values == 0
    assert {pii.key_id_of(v) for v in stored_phones()} == {old}
    # Old values still read, new writes use the new key.
    member = Member.objects.exclude(phone="").first()
    assert member is not None
    assert member.phone.reveal().startswith("+86")
    assert keys.key_usage() == {old: len(PHONES)}

    assert keys.reencrypt().values == len(PHONES)
    assert keys.key_usage() == {report.active: len(PHONES)}
    assert keys.reencrypt().values == 0  # nothing left to do: idempotent


@pytest.mark.django_db(transaction=True)  # cli.main closes the connection at the end
def test_keys_rotate_on_the_command_line_prints_the_counts(
    world: World, ring_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    give_phones(world)
    assert cli.main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert f"Re-encrypted {len(PHONES)} values" in out
    assert "core.member.phone: 3" in out
    assert cli.main(["keys", "status"]) == 0
    active = pii.KeyRing.from_json(ring_file.read_text()).active
    assert f"{active}: {len(PHONES)} values" in capsys.readouterr().out


def test_rotation_refuses_a_ring_given_inline_in_the_environment(world: World) -> None:
    # The suite's settings hold the ring itself (LIUQING_KEYRING), with no file behind it.
    with pytest.raises(keys.KeyRingError, match="LIUQING_KEYRING"):
        keys.rotate()
    assert not AuditEvent.objects.filter(action="keys.rotate").exists()


def test_rotation_without_a_ring_file_says_to_run_keys_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, db: None
) -> None:
    monkeypatch.setenv("LIUQING_KEYRING_FILE", str(tmp_path / "missing.json"))
    settings.LIUQING_KEYRING = ""
    pii.reset_keyring_cache()
    try:
        with pytest.raises(keys.KeyRingError, match="keys init"):
            keys.add_active_key()
    finally:
        pii.reset_keyring_cache()


def test_demo_creates_the_ring_only_when_the_configuration_needs_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("LIUQING_KEYRING_FILE", str(path))
    assert keys.ensure_keyring() is None  # the suite's inline ring is enough
    assert not path.exists()
    settings.LIUQING_KEYRING = ""
    try:
        assert keys.ensure_keyring() == path
        assert mode_of(path) == 0o600
        assert keys.ensure_keyring() is None  # already there
    finally:
        pii.reset_keyring_cache()
