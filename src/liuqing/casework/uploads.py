"""Attachments on a case's timeline: checked by content, stored under random names.

SECURITY.md asks for a size cap, the type decided by the content (never by the file name or
the browser's claim), random stored names and serving as a download only. We accept photos
(JPEG, PNG, WebP) and PDF documents: what officers attach in the field. Anything else, an HTML
page renamed to .png included, is refused with a field error.

The file is written before the database row; if the transaction then fails, `discard()`
removes it, so a refused or rolled-back upload leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_BYTES_DEFAULT = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str
    label: str


JPEG = FileType("image/jpeg", ".jpg", "JPEG")
PNG = FileType("image/png", ".png", "PNG")
WEBP = FileType("image/webp", ".webp", "WebP")
PDF = FileType("application/pdf", ".pdf", "PDF")
ALLOWED = (JPEG, PNG, WEBP, PDF)


def max_bytes() -> int:
    return int(getattr(settings, "CASEWORK_UPLOAD_MAX_BYTES", MAX_BYTES_DEFAULT))


def sniff(head: bytes) -> FileType | None:
    """The type of a file from its first bytes (magic numbers), or None if not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def clean_name(name: str, kind: FileType) -> str:
    """The name to offer on download: the uploader's base name without control or path
    characters, ending in the extension of the type actually found."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"/:*?<>|')
    base = base.strip().strip(".") or "attachment"
    stem, ext = os.path.splitext(base)
    if ext.lower() not in {kind.extension, ".jpeg" if kind is JPEG else kind.extension}:
        stem = base
    return f"{stem[:150]}{kind.extension}"


@dataclass(frozen=True)
class Stored:
    path: str  # name in the storage
    original_name: str
    kind: FileType
    size: int


def check(upload: Any) -> FileType:
    """Validate an uploaded file (size, then content) without storing it."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    size = getattr(upload, "size", None)
    if size is None:
        raise ValidationError({"file": _("The file could not be read.")})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            {
                "file": _("The file is too large: at most %(mb)d MB.")
                % {"mb": limit // (1024 * 1024)}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            {"file": _("Only photos (JPEG, PNG, WebP) and PDF documents can be attached.")}
        )
    return kind


def store(upload: Any, storage: Storage | None = None) -> Stored:
    """Check and save the upload under a random name ("cases/2026/05/<random>.png")."""
    kind = check(upload)
    storage = storage or default_storage
    now = timezone.localtime()
    name = f"cases/{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}{kind.extension}"
    path = storage.save(name, upload)
    return Stored(
        path=path,
        original_name=clean_name(getattr(upload, "name", ""), kind),
        kind=kind,
        size=int(upload.size),
    )


def discard(stored: Stored, storage: Storage | None = None) -> None:
    (storage or default_storage).delete(stored.path)


def discard_path(path: str, storage: Storage | None = None) -> None:
    (storage or default_storage).delete(path)


PUBLIC_MAX_SIDE = 2048  # a public copy is a photo for a screen, not the officer's original


def public_copy(stored: Stored, storage: Storage | None = None) -> str | None:
    """A copy of a photo fit to publish (Open311's media_url), or None for a PDF or an image
    that cannot be decoded. The copy is decoded and encoded again, so nothing of the original
    file but its pixels survives: no EXIF (GPS position, camera serial, owner, times), XMP,
    ICC profile, comments or text chunks; the orientation is applied first, and the longest
    side is at most PUBLIC_MAX_SIDE. What the picture shows is the officer's judgement when
    marking the attachment public. Stored as "public/2026/05/<random>.jpg" (or .png)."""
    if stored.kind not in (JPEG, PNG, WEBP):
        return None
    from PIL import Image, ImageOps, UnidentifiedImageError

    storage = storage or default_storage
    try:
        with storage.open(stored.path, "rb") as handle, Image.open(handle) as original:
            image = ImageOps.exif_transpose(original)
            image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
            keep_alpha = stored.kind is PNG and image.mode in ("RGBA", "LA", "P")
            image = image.convert("RGBA" if keep_alpha else "RGB")
            clean = Image.new(image.mode, image.size)  # pixels only, no info carried over
            clean.paste(image)
            out = io.BytesIO()
            kind = PNG if keep_alpha else JPEG
            if kind is PNG:
                clean.save(out, format="PNG", optimize=True)
            else:
                clean.save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    now = timezone.localtime()
    name = f"public/{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}{kind.extension}"
    return storage.save(name, ContentFile(out.getvalue()))
