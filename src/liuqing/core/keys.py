"""The personal-data key ring on disk: create it, rotate it, re-encrypt under the new key.

The ring lives in one JSON file (`pii.keyring_path()`: LIUQING_KEYRING_FILE, default
var/keys.json), readable only by its owner, never in the database. Rotation adds a new active
key and keeps the old ones, so every stored value stays readable while `reencrypt_all()` moves
values to the new key, batch by batch, each batch in its own transaction. Re-encryption is
idempotent and resumable: it only touches values sealed with a key other than the active one.

Running processes cache the ring. A process that has not seen the new key cannot open values
sealed with it, so on a multi-process installation rotate in two steps (see docs/operations.md):
`keys rotate --no-reencrypt`, restart the app and the workers, then `keys reencrypt`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, TextField

from liuqing.core import audit, pii

FILE_MODE = 0o600


class KeyRingError(Exception):
    """The key ring file cannot be created or changed as asked (message says why)."""


def ring_file() -> Path:
    return pii.keyring_path()


def ring_is_inline() -> bool:
    """True when the ring comes from the LIUQING_KEYRING variable itself, not from a file."""
    return bool(settings.LIUQING_KEYRING) and not os.environ.get("LIUQING_KEYRING_FILE")


def write_ring_file(path: Path, ring: pii.KeyRing, *, replace: bool) -> None:
    """Write `ring` to `path` with mode 0600.

    A new file is created exclusively (never clobbering one that appeared meanwhile); a
    replacement goes through a temporary file in the same directory and an atomic rename, so a
    crash leaves either the old ring or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (ring.to_json() + "\n").encode("utf-8")
    if not replace:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError as exc:
            raise KeyRingError(f"{path} already exists; refusing to overwrite a key ring.") from exc
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def init_keyring(path: Path | None = None) -> pii.KeyRing:
    """Create a new key ring file; refuses if one exists (that ring may be the only way to
    read the database)."""
    path = path or ring_file()
    ring = pii.KeyRing.generate()
    write_ring_file(path, ring, replace=False)
    return ring


def ensure_keyring() -> Path | None:
    """Create the ring file if the configuration needs one and it is missing (for `demo`).

    Returns the path written, or None when nothing was needed.
    """
    if settings.LIUQING_KEYRING:
        return None
    path = ring_file()
    if path.exists():
        return None
    init_keyring(path)
    pii.reset_keyring_cache()
    return path


def _use_in_process(ring: pii.KeyRing) -> None:
    # settings.LIUQING_KEYRING holds the file's content when LIUQING_KEYRING_FILE was set at
    # start-up (settings.envsecret reads it); keep this process in step with the file.
    if settings.LIUQING_KEYRING:
        settings.LIUQING_KEYRING = ring.to_json()
    pii.reset_keyring_cache()


def _require_file() -> None:
    if ring_is_inline():
        raise KeyRingError(
            "The key ring comes from the LIUQING_KEYRING variable, which this command cannot "
            "change. Put it in a file and point LIUQING_KEYRING_FILE at it to rotate here."
        )


def load_ring_file() -> tuple[Path, pii.KeyRing]:
    _require_file()
    path = ring_file()
    if not path.exists():
        raise KeyRingError(f"No key ring at {path}; run `liuqing keys init` first.")
    try:
        ring = pii.KeyRing.from_json(path.read_text(encoding="utf-8"))
    except ImproperlyConfigured as exc:
        raise KeyRingError(str(exc)) from exc
    return path, ring


@contextlib.contextmanager
def _ring_lock(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the ring file: two rotations racing would otherwise
    each write a ring without the other's new key, and values sealed with the lost key
    could never be opened again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def add_active_key() -> pii.KeyRing:
    """Add a fresh active key to the ring file (old keys stay for reading) and use it here."""
    _require_file()
    with _ring_lock(ring_file()):
        path, ring = load_ring_file()
        new_ring = ring.with_new_active_key()
        write_ring_file(path, new_ring, replace=True)
    _use_in_process(new_ring)
    return new_ring


# --- Re-encryption ---------------------------------------------------------------------------


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[pii.EncryptedField]]]:
    """Every concrete model with encrypted columns, and those columns."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        found = [f for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedField)]
        if found:
            yield model, found


def _raw(field: pii.EncryptedField) -> ExpressionWrapper[F]:
    # Typed as a plain TextField, the column skips EncryptedField.from_db_value: we get the
    # stored ciphertext (with its key id) without decrypting every value just to look.
    return ExpressionWrapper(F(field.attname), output_field=TextField())


@dataclass
class ReencryptReport:
    active: str
    columns: dict[str, int] = field(default_factory=dict)  # "app.model.field" → values moved
    rows: int = 0

    @property
    def values(self) -> int:
        return sum(self.columns.values())


def reencrypt_all(
    *, batch_size: int = 500, progress: Callable[[str], None] | None = None
) -> ReencryptReport:
    """Seal every stored value that is not under the active key with the active key.

    Works through each model by primary key in batches; each batch is one transaction, so an
    interruption loses nothing and a re-run continues where it stopped. Returns counts.
    """
    ring = pii.get_keyring()
    report = ReencryptReport(active=ring.active)
    for model, fields in encrypted_fields():
        label = model._meta.label_lower
        for f in fields:
            report.columns.setdefault(f"{label}.{f.name}", 0)
        raw_names = {f.attname: f"_raw_{f.attname}" for f in fields}
        last_pk = None
        while True:
            qs = model._default_manager.order_by("pk").annotate(
                **{raw_names[f.attname]: _raw(f) for f in fields}
            )
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            batch = list(qs.values_list("pk", *raw_names.values())[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            with transaction.atomic():
                for pk, *stored in batch:
                    changes: dict[str, str] = {}
                    for f, value in zip(fields, stored, strict=True):
                        if value and pii.key_id_of(value) != ring.active:
                            # update() runs get_prep_value, which seals with the active key.
                            changes[f.attname] = pii.decrypt(value, f.purpose)
                    if changes:
                        model._default_manager.filter(pk=pk).update(**changes)
                        report.rows += 1
                        for f in fields:
                            if f.attname in changes:
                                report.columns[f"{label}.{f.name}"] += 1
            if progress is not None:
                progress(f"{label}: up to #{last_pk}")
    return report


def key_usage() -> dict[str, int]:
    """How many stored values each key id seals (for `keys status` and the tests)."""
    usage: dict[str, int] = {}
    for model, fields in encrypted_fields():
        for f in fields:
            values = model._default_manager.annotate(_raw_value=_raw(f)).values_list(
                "_raw_value", flat=True
            )
            for value in values.iterator(chunk_size=2000):
                if value:
                    kid = pii.key_id_of(value)
                    usage[kid] = usage.get(kid, 0) + 1
    return usage


def rotate(
    *, reencrypt: bool = True, batch_size: int = 500, progress: Callable[[str], None] | None = None
) -> ReencryptReport:
    """Add a new active key, then (unless told not to) re-encrypt every value under it.

    One audit event summarises the rotation and the counts.
    """
    previous = pii.get_keyring().active if not ring_is_inline() else ""
    ring = add_active_key()
    report = ReencryptReport(active=ring.active)
    if reencrypt:
        report = reencrypt_all(batch_size=batch_size, progress=progress)
    audit.record(
        "keys.rotate",
        object_type="keyring",
        object_id=ring.active,
        details={
            "previous": previous,
            "active": ring.active,
            "keys": sorted(ring.keys),
            "reencrypted": reencrypt,
            "values": report.values,
            "rows": report.rows,
            "columns": report.columns,
        },
    )
    return report


def reencrypt(
    *, batch_size: int = 500, progress: Callable[[str], None] | None = None
) -> ReencryptReport:
    """Finish a rotation: re-encrypt what is not under the active key; one audit event."""
    report = reencrypt_all(batch_size=batch_size, progress=progress)
    audit.record(
        "keys.reencrypt",
        object_type="keyring",
        object_id=report.active,
        details={"values": report.values, "rows": report.rows, "columns": report.columns},
    )
    return report
