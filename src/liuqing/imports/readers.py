"""Streaming readers for ledger files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX.

A reader yields the header and then the records as lists of strings, one at a time, so memory
does not grow with the file. What a file *is* is decided by its content, never by its name:

* an XLSX workbook is a ZIP archive (``PK\\x03\\x04``) holding ``xl/workbook.xml``; openpyxl
  reads it in read-only mode (rows parsed as they are iterated);
* anything else must be text: no NUL byte anywhere, and the whole file decodes as UTF-8
  (a BOM is dropped) or, failing that, as GB18030 (the superset of GBK that Chinese Excel
  and dispatch systems write). `inspect()` decodes the whole file once, in chunks, before
  anything is imported, so an encoding problem halfway down a file is found up front and
  the file imports nothing.

Row numbers are those a spreadsheet shows: the header is row 1, the first record row 2
(for CSV a record whose quoted field spans several lines still counts as one row).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

CSV = "csv"
XLSX = "xlsx"
CHUNK = 1 << 20
PREVIEW_ROWS = 5


class UnreadableFile(Exception):
    """The file cannot be read as a ledger at all (the message says why); nothing is imported."""


@dataclass(frozen=True)
class FileInfo:
    format: str  # CSV or XLSX
    encoding: str  # CSV only: "utf-8-sig", "utf-8" or "gb18030"


def inspect(path: str | Path) -> FileInfo:
    """Decide a file's format (and a CSV's encoding) from its content; `UnreadableFile` if it
    is neither a workbook nor text in a supported encoding."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if not head:
            raise UnreadableFile(_("The file is empty."))
        if head.startswith(b"PK\x03\x04"):
            return FileInfo(XLSX, "")
        fh.seek(0)
        return FileInfo(CSV, _text_encoding(fh))


def _text_encoding(fh: IO[bytes]) -> str:
    bom = fh.read(3) == codecs.BOM_UTF8
    for encoding in ("utf-8", "gb18030"):
        fh.seek(3 if bom else 0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := fh.read(CHUNK):
                if b"\x00" in chunk:
                    raise UnreadableFile(
                        _("The file is not a CSV text file or an XLSX workbook (binary content).")
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if bom:
                break  # a BOM promises UTF-8; do not guess further
            continue
        if bom:
            return "utf-8-sig"
        return encoding
    raise UnreadableFile(
        _("The file is neither UTF-8 nor GBK/GB18030 text; save it as CSV (UTF-8) or XLSX.")
    )


def check_workbook(path: str | Path) -> None:
    """A cheap check that an XLSX file is an intact workbook archive (`UnreadableFile` if not)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise UnreadableFile(_("The ZIP archive is not an XLSX workbook."))
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnreadableFile(_("The XLSX file is damaged: %(error)s") % {"error": exc}) from exc
    if bad is not None:
        raise UnreadableFile(_("The XLSX file is damaged (part %(name)s).") % {"name": bad})


def cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class Table:
    """An open ledger file: `header` (the first row) and `rows()` (row number, cells).

    Use as a context manager; the file is closed on exit."""

    def __init__(self, path: str | Path, info: FileInfo) -> None:
        self.path = Path(path)
        self.info = info
        self._fh: IO[Any] | None = None
        self._workbook: Any = None
        self._iter: Iterator[list[str]]
        if info.format == XLSX:
            self._open_workbook()
        else:
            self._fh = open(self.path, encoding=info.encoding, newline="")  # noqa: SIM115
            self._iter = iter(csv.reader(self._fh))
        try:
            first = next(self._iter)
        except StopIteration:
            self.close()
            raise UnreadableFile(_("The file has no header row.")) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            self.close()
            raise UnreadableFile(_("The file cannot be read: %(error)s") % {"error": exc}) from exc
        self.header = [str(c).strip() for c in first]
        while self.header and not self.header[-1]:
            self.header.pop()
        if not any(self.header):
            self.close()
            raise UnreadableFile(_("The first row (the column names) is empty."))

    def _open_workbook(self) -> None:
        import openpyxl  # imported here: only XLSX imports pay for it

        check_workbook(self.path)
        # A file object, not the path: openpyxl would judge a path by its extension.
        self._fh = open(self.path, "rb")  # noqa: SIM115
        try:
            self._workbook = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            self.close()
            raise UnreadableFile(
                _("The XLSX file cannot be opened: %(error)s") % {"error": exc}
            ) from exc

        def rows() -> Iterator[list[str]]:
            for values in sheet.iter_rows(values_only=True):
                yield [cell_text(v) for v in values]

        self._iter = rows()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) for every non-blank record after the header."""
        strip, join = str.strip, "".join
        for number, cells in enumerate(self._iter, start=2):
            if strip(join(cells)):
                yield number, cells

    def preview(self, n: int = PREVIEW_ROWS) -> list[list[str]]:
        out = []
        for _number, cells in self.rows():
            out.append(cells)
            if len(out) >= n:
                break
        return out

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(path: str | Path, info: FileInfo | None = None) -> Table:
    return Table(path, info or inspect(path))
