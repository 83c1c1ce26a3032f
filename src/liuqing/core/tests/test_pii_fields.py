"""Identity-card numbers, phone numbers and the encryption primitives, without a database."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured, ValidationError

from liuqing.core import pii
from liuqing.core.pii import (
    IdentityNumberField,
    KeyRing,
    PhoneNumberField,
    Protected,
    identity_check_digit,
    normalise_identity_number,
    normalise_phone,
)


def make_id(region: str, birth: dt.date, seq: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + identity_check_digit(first17)


def test_a_valid_identity_number_passes_and_is_upper_cased() -> None:
    number = make_id("654002", dt.date(1985, 3, 7))
    assert normalise_identity_number(number.lower()) == number.upper()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("65400219850307123", "identity_length"),
        ("6540021985030712AX", "identity_characters"),
        ("654002198502301230", "identity_birth_date"),
        ("654002" + "2999" + "0101" + "1230", "identity_birth_date"),
    ],
)
def test_a_malformed_identity_number_is_refused_with_the_reason(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_identity_number(value)
    assert err.value.code == code


def test_a_wrong_check_digit_is_refused() -> None:
    good = make_id("654002", dt.date(1990, 1, 1))
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        normalise_identity_number(wrong)
    assert err.value.code == "identity_checksum"


def test_the_published_example_number_checks() -> None:
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert normalise_identity_number("11010519491231002x") == "11010519491231002X"


def test_birth_date_and_minor_flags_derive_from_the_number() -> None:
    today = dt.date.today()
    child = Protected(make_id("654021", today.replace(year=today.year - 10)), "identity")
    teen = Protected(make_id("654021", today.replace(year=today.year - 16)), "identity")
    adult = Protected(make_id("654021", dt.date(1970, 6, 1)), "identity")
    assert child.is_minor
    assert child.is_under_14
    assert teen.is_minor
    assert not teen.is_under_14
    assert not adult.is_minor
    assert adult.birth_date == dt.date(1970, 6, 1)


def test_identity_numbers_are_masked_like_6540_stars_1234() -> None:
    number = make_id("654002", dt.date(1985, 3, 7))
    assert str(Protected(number, "identity")) == number[:4] + "*" * 10 + number[-4:]


def test_phone_numbers_are_parsed_and_masked() -> None:
    assert normalise_phone("138 0013 8000") == "+8613800138000"
    assert str(Protected("+8613800138000", "phone")) == "138****8000"
    for bad in ("12345", "not a phone", "+86 999"):
        with pytest.raises(ValidationError):
            normalise_phone(bad)


def test_values_round_trip_through_the_field_as_ciphertext() -> None:
    field = PhoneNumberField()
    stored = field.get_prep_value("13800138000")
    assert stored.startswith("lq1$t1$")
    assert "13800138000" not in stored
    value = field.from_db_value(stored, None, None)
    assert isinstance(value, Protected)
    assert value.reveal() == "+8613800138000"
    assert field.get_prep_value("13800138000") != stored  # a fresh nonce every time


def test_ciphertext_of_one_purpose_does_not_open_as_another() -> None:
    sealed = PhoneNumberField().get_prep_value("13800138000")
    with pytest.raises(ImproperlyConfigured):
        pii.decrypt(sealed, "identity")


def test_a_tampered_value_fails_authentication() -> None:
    sealed = IdentityNumberField().get_prep_value(make_id("654002", dt.date(1985, 3, 7)))
    prefix, kid, body = sealed.split("$")
    flipped = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]
    with pytest.raises(ImproperlyConfigured):
        pii.decrypt(f"{prefix}${kid}${flipped}", "identity")


def test_values_sealed_with_an_older_key_still_open() -> None:
    ring = pii.get_keyring()
    assert ring.active == "t1"
    assert "t0" in ring.keys
    nonce = b"\x00" * 12
    body = AESGCM(ring.keys["t0"]).encrypt(nonce, b"+8613800138000", b"liuqing:phone")
    token = f"lq1$t0${base64.b64encode(nonce + body).decode()}"
    assert pii.key_id_of(token) == "t0"
    assert pii.decrypt(token, "phone") == "+8613800138000"
    # The same body under the wrong key id is refused, not mis-decrypted.
    with pytest.raises(ImproperlyConfigured):
        pii.decrypt(token.replace("$t0$", "$t1$"), "phone")


def test_the_blind_index_is_stable_and_keyed() -> None:
    a = pii.blind_index("+8613800138000", "phone")
    assert a == pii.blind_index("+8613800138000", "phone")
    assert a != pii.blind_index("+8613800138001", "phone")
    assert a != pii.blind_index("+8613800138000", "identity")
    assert pii.lookup_index(PhoneNumberField(), "138-0013-8000") == a


def test_a_malformed_key_ring_is_reported() -> None:
    with pytest.raises(ImproperlyConfigured):
        KeyRing.from_json('{"active": "x", "keys": {}}')
    with pytest.raises(ImproperlyConfigured):
        KeyRing.from_json("not json")
    ring = KeyRing.generate()
    assert KeyRing.from_json(ring.to_json()) == ring
    rotated = ring.with_new_active_key()
    assert rotated.active != ring.active
    assert ring.active in rotated.keys


def test_serialised_ciphertext_loads_back_as_the_value() -> None:
    field = PhoneNumberField()
    sealed = field.get_prep_value("13800138000")
    loaded = field.to_python(sealed)
    assert isinstance(loaded, Protected)
    assert loaded.reveal() == "+8613800138000"
