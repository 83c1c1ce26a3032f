"""Protected personal data: identity-card numbers, phone numbers, addresses, sensitive notes.

Values are encrypted at rest with AES-256-GCM under a key ring that lives outside the
database and can rotate; each stored value names the key that sealed it. Exact lookup goes
through a keyed blind index (HMAC-SHA-256) kept in a companion column. Reading a field gives a
`Protected` value whose `str()` is the masked form, so a template can never print the plain
value by accident; `reveal()` is for the reveal service, which asks for a reason and audits it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CIPHER_PREFIX = "lq1"


# --- Key ring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRing:
    """Data keys by id, the id that seals new values, and the blind-index key."""

    active: str
    keys: dict[str, bytes]
    blind_index: bytes

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            data = json.loads(text)
            keys = {kid: base64.b64decode(k) for kid, k in data["keys"].items()}
            ring = cls(
                active=data["active"],
                keys=keys,
                blind_index=base64.b64decode(data["blind_index"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ImproperlyConfigured(f"The personal-data key ring is malformed: {exc}") from exc
        if ring.active not in ring.keys:
            raise ImproperlyConfigured("The key ring's active key is not among its keys.")
        if any(len(k) != 32 for k in ring.keys.values()) or len(ring.blind_index) < 32:
            raise ImproperlyConfigured("Key ring keys must be 32 bytes (base64-encoded).")
        return ring

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
                "blind_index": base64.b64encode(self.blind_index).decode(),
            },
            indent=2,
        )

    @classmethod
    def generate(cls) -> KeyRing:
        kid = timezone.now().strftime("k%Y%m%d%H%M%S")
        return cls(active=kid, keys={kid: AESGCM.generate_key(256)}, blind_index=os.urandom(32))

    def with_new_active_key(self) -> KeyRing:
        """A ring with a fresh active key; the old keys stay to open existing values."""
        kid = timezone.now().strftime("k%Y%m%d%H%M%S") + secrets.token_hex(2)
        keys = dict(self.keys)
        keys[kid] = AESGCM.generate_key(256)
        return KeyRing(active=kid, keys=keys, blind_index=self.blind_index)


def keyring_path() -> Path:
    return Path(os.environ.get("LIUQING_KEYRING_FILE", settings.LIUQING_KEYRING_FILE_DEFAULT))


@cache
def get_keyring() -> KeyRing:
    """Load the key ring from LIUQING_KEYRING (or its _FILE) or the key ring file."""
    if settings.LIUQING_KEYRING:
        return KeyRing.from_json(settings.LIUQING_KEYRING)
    path = keyring_path()
    if not path.exists():
        raise ImproperlyConfigured(
            f"No personal-data key ring at {path}. Run `liuqing keys init` (make demo does) "
            "or set LIUQING_KEYRING_FILE."
        )
    return KeyRing.from_json(path.read_text(encoding="utf-8"))


def reset_keyring_cache() -> None:
    get_keyring.cache_clear()


def encrypt(plaintext: str, purpose: str) -> str:
    ring = get_keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active]).encrypt(
        nonce, plaintext.encode("utf-8"), f"liuqing:{purpose}".encode()
    )
    return f"{CIPHER_PREFIX}${ring.active}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, purpose: str) -> str:
    ring = get_keyring()
    try:
        prefix, kid, body = token.split("$", 2)
        if prefix != CIPHER_PREFIX:
            raise ValueError("unknown format")
        raw = base64.b64decode(body)
        key = ring.keys[kid]
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            "A stored personal-data value cannot be opened with this key ring."
        ) from exc
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], f"liuqing:{purpose}".encode())
    except InvalidTag as exc:
        raise ImproperlyConfigured(
            "A stored personal-data value failed authentication (tampered or wrong key)."
        ) from exc
    return plain.decode("utf-8")


def key_id_of(token: str) -> str:
    return token.split("$", 2)[1] if token.count("$") >= 2 else ""


def blind_index(value: str, purpose: str) -> str:
    """Keyed digest for exact lookup; the same normalised value always gives the same index."""
    ring = get_keyring()
    mac = hmac.new(ring.blind_index, f"{purpose}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


# --- Validation and normalisation ------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def normalise_identity_number(value: str) -> str:
    """Validate a GB 11643-1999 citizen identity number and return it upper-cased.

    Raises ValidationError naming what is wrong: length, characters, birth date or checksum.
    """
    text = str(value).strip().upper().replace(" ", "")
    if len(text) != 18:
        raise ValidationError(
            _("An identity-card number has 18 characters."), code="identity_length"
        )
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValidationError(
            _("An identity-card number is 17 digits followed by a digit or X."),
            code="identity_characters",
        )
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise ValidationError(
            _("The birth date inside the identity-card number is not a real date."),
            code="identity_birth_date",
        ) from exc
    if birth.year < 1900 or birth > timezone.localdate():
        raise ValidationError(
            _("The birth date inside the identity-card number is out of range."),
            code="identity_birth_date",
        )
    total = sum(int(d) * w for d, w in zip(text[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != text[17]:
        raise ValidationError(
            _("The identity-card number's check digit is wrong; please check for a typo."),
            code="identity_checksum",
        )
    return text


def identity_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def normalise_phone(value: str, region: str = "CN") -> str:
    """Parse a phone number (Chinese by default) and return it in E.164 form."""
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("This is not a phone number."), code="phone_parse") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number is not valid; please check the digits."), code="phone_invalid"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, "CN")
    national = str(number.national_number)
    if len(national) <= 7:
        return national[:2] + "*" * (len(national) - 2)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_identity(text: str) -> str:
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_text(text: str) -> str:
    return (text[:6] + "****") if len(text) > 6 else "****"


class Protected:
    """A decrypted personal-data value. `str()` gives the masked form; `reveal()` the value."""

    __slots__ = ("_kind", "_value")

    def __init__(self, value: str, kind: str) -> None:
        self._value = value
        self._kind = kind

    def reveal(self) -> str:
        return self._value

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def masked(self) -> str:
        if not self._value:
            return ""
        if self._kind == "phone":
            return mask_phone(self._value)
        if self._kind == "identity":
            return mask_identity(self._value)
        if self._kind == "name":
            from liuqing.core.redact import mask_name

            return mask_name(self._value)
        if self._kind == "note":
            return "••••"
        return mask_text(self._value)

    @property
    def birth_date(self) -> dt.date | None:
        if self._kind != "identity" or not self._value:
            return None
        v = self._value
        return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))

    def age_on(self, day: dt.date | None = None) -> int | None:
        born = self.birth_date
        if born is None:
            return None
        day = day or timezone.localdate()
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_minor(self) -> bool:
        age = self.age_on()
        return age is not None and age < 18

    @property
    def is_under_14(self) -> bool:
        age = self.age_on()
        return age is not None and age < 14

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<Protected {self._kind} {self.masked}>"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Protected):
            return self._value == other._value
        if isinstance(other, str):
            return self._value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


def plain(value: Any) -> str:
    """The plain text of a Protected or str value ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, Protected):
        return value.reveal()
    return str(value)


# --- Model fields ----------------------------------------------------------------------------


class EncryptedField(models.TextField):  # type: ignore[type-arg]
    """Base for encrypted personal-data columns. Subclasses set `kind` and `normalise`."""

    kind = "text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        return name, path, args, kwargs

    @property
    def purpose(self) -> str:
        return self.kind

    def normalise(self, value: str) -> str:
        return value.strip()

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Protected):
            return value
        text = str(value)
        if not text.strip():
            return ""
        if text.startswith(CIPHER_PREFIX + "$"):
            # Serialised form (dumpdata, value_to_string) is the ciphertext: open it.
            return Protected(decrypt(text, self.purpose), self.kind)
        return Protected(self.normalise(text), self.kind)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return Protected("", self.kind)
        return Protected(decrypt(value, self.purpose), self.kind)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        text = plain(value)
        if text == "":
            return ""
        text = self.normalise(text)
        return encrypt(text, self.purpose)

    def validate(self, value: Any, model_instance: Any) -> None:
        text = plain(value)
        if text:
            self.normalise(text)  # raises ValidationError with the reason
        super().validate(text, model_instance)

    def value_to_string(self, obj: Any) -> str:
        # Serialisation (dumpdata, backups) keeps the ciphertext, never the plain value.
        return self.get_prep_value(self.value_from_object(obj)) or ""


class PhoneNumberField(EncryptedField):
    kind = "phone"

    def normalise(self, value: str) -> str:
        return normalise_phone(value)


class IdentityNumberField(EncryptedField):
    kind = "identity"

    def normalise(self, value: str) -> str:
        return normalise_identity_number(value)


class AddressField(EncryptedField):
    kind = "address"


class PersonNameField(EncryptedField):
    """A resident's name: encrypted, shown as "王**"."""

    kind = "name"


class SensitiveNoteField(EncryptedField):
    kind = "note"


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """Keyed digest of another encrypted field, recomputed on every save, for exact lookup."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in ("max_length", "blank", "editable", "db_index", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        source_field = model_instance._meta.get_field(self.source)
        assert isinstance(source_field, EncryptedField)
        text = plain(getattr(model_instance, self.source))
        value = blind_index(source_field.normalise(text), source_field.purpose) if text else ""
        setattr(model_instance, self.attname, value)
        return value


def lookup_index(field: EncryptedField, value: str) -> str:
    """The blind index to filter on for `value` (normalised like the field does)."""
    return blind_index(field.normalise(value), field.purpose)
