"""The ledger import engine: upload, column mapping, the run, the error report.

1. `start_import` checks and stores an uploaded file (type by content, size cap, random
   stored name; an unreadable file is refused with the reason and nothing is stored) and
   opens an `ImportRun` waiting for its mapping.
2. `save_mapping` keeps a column mapping for reuse.
3. `run_import` (during the request) or `queue_import` then the worker's `run_queued` (for
   files over `IMPORTS_INLINE_MAX_MB`) streams the file in batches of `IMPORTS_BATCH_ROWS`
   rows through the kind's writer. Each batch is one transaction holding its rows, the
   run's counts and an audit event; memory stays bounded by the batch size whatever the
   file's length. Rows a writer refuses go to the error report (a CSV in the default
   storage: row, column, value, reason); valid rows of the same batch are still written.

One transaction per batch, not per file: a million-row file in one transaction would hold the
write lock for minutes (SQLite) or grow a huge transaction (PostgreSQL). It is safe because
writers are idempotent: after an interruption the same file can simply be imported again.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import multiprocessing
import os
import queue
import secrets
import tempfile
import unicodedata
from collections.abc import Generator, Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied, NotFound
from liuqing.core.models import Member, Unit
from liuqing.imports import readers, registry
from liuqing.imports.models import ColumnMapping, ImportRun, RunStatus
from liuqing.imports.policies import COLUMN_MAPPING, IMPORT_RUN

SAMPLE_ERRORS = 50
VALUE_MAX = 200


def batch_rows() -> int:
    return int(getattr(settings, "IMPORTS_BATCH_ROWS", 5000))


def max_bytes() -> int:
    return int(getattr(settings, "IMPORTS_UPLOAD_MAX_MB", 200)) * 1024 * 1024


def kind_for(actor: Member, key: str) -> registry.LedgerKind:
    """The ledger kind `key`, if the actor may import it (AccessDenied otherwise)."""
    kind = registry.get(key)
    if kind is None:
        raise ValidationError({"kind": _("Choose one of the ledgers offered.")})
    if not (access.can(actor, IMPORT_RUN, CHANGE) and access.can(actor, kind.policy_kind, CHANGE)):
        raise AccessDenied
    return kind


def _clean_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"/:*?<>|')
    return base.strip()[:160] or "ledger"


def start_import(*, actor: Member, kind: str, unit: Unit, upload: Any) -> ImportRun:
    """Store an uploaded ledger and open its run (status: waiting for the mapping).

    Refused with a field error, storing nothing: no file, an empty or too large file, or one
    that is neither an XLSX workbook nor CSV text in UTF-8 or GBK/GB18030."""
    ledger = kind_for(actor, kind)
    access.check(actor, unit, "unit")
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > max_bytes():
        raise ValidationError(
            {
                "file": _("The file is too large: at most %(mb)d MB.")
                % {"mb": max_bytes() // (1024 * 1024)}
            }
        )
    with tempfile.TemporaryDirectory() as scratch:
        local = Path(scratch) / "upload"
        with open(local, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            info = readers.inspect(local)
            with readers.open_table(local, info):
                pass  # the header must be readable too
        except readers.UnreadableFile as exc:
            raise ValidationError({"file": str(exc)}) from exc
        now = timezone.localtime()
        name = f"imports/{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}.{info.format}"
        with open(local, "rb") as fh, transaction.atomic():
            stored = default_storage.save(name, File(fh))
            run = ImportRun.objects.create(
                kind=ledger.key,
                unit=unit,
                created_by=actor,
                file_name=_clean_name(getattr(upload, "name", "")),
                stored_file=stored,
                file_format=info.format,
                encoding=info.encoding,
            )
            audit.record(
                "import.upload",
                actor=actor,
                obj=run,
                details={"kind": ledger.key, "file": run.file_name, "size": size},
            )
    return run


def open_run_table(run: ImportRun) -> readers.Table:
    """The run's stored file, open (UnreadableFile if it can no longer be read)."""
    info = readers.FileInfo(run.file_format, run.encoding)
    return readers.open_table(default_storage.path(run.stored_file), info)


def check_columns(
    ledger: registry.LedgerKind, header: list[str], columns: dict[str, str]
) -> dict[str, str]:
    """The mapping {source column: field} restricted to columns of this file; a ValidationError
    when a field is mapped twice, is unknown, or a required field has no column."""
    known = {f.name for f in ledger.fields}
    used: dict[str, str] = {}
    errors: list[str] = []
    for column, name in columns.items():
        if not name:
            continue
        if name not in known:
            errors.append(_("“%(field)s” is not a field of this ledger.") % {"field": name})
        elif column not in header:
            continue
        elif name in used.values():
            spec = ledger.field(name)
            errors.append(
                _("“%(field)s” is taken from two columns.")
                % {"field": spec.label if spec else name}
            )
        else:
            used[column] = name
    missing = [str(f.label) for f in ledger.fields if f.required and f.name not in used.values()]
    if missing:
        errors.append(
            _("Choose a column for each required field: %(fields)s.")
            % {"fields": ", ".join(missing)}
        )
    if errors:
        raise ValidationError({"columns": errors})
    return used


def save_mapping(
    *,
    actor: Member,
    kind: str,
    unit: Unit,
    name: str,
    columns: dict[str, str],
    options: dict[str, str],
) -> ColumnMapping:
    """Save (or replace) the mapping called `name` of this kind at `unit`."""
    ledger = kind_for(actor, kind)
    access.check(actor, unit, "unit")
    if not access.can(actor, COLUMN_MAPPING, CHANGE):
        raise AccessDenied
    name = name.strip()
    if not name:
        raise ValidationError({"mapping_name": _("Give the mapping a name.")})
    known = {f.name for f in ledger.fields}
    columns = {str(k)[:100]: v for k, v in columns.items() if v in known}
    options = ledger.clean_options(options)
    with transaction.atomic():
        mapping, created = ColumnMapping.objects.update_or_create(
            kind=ledger.key,
            unit=unit,
            name=name[:64],
            defaults={
                "columns": columns,
                "options": options,
                "created_by": actor,
                "updated_at": timezone.now(),
            },
        )
        audit.record(
            "import.mapping_save" if created else "import.mapping_update",
            actor=actor,
            obj=mapping,
            details={"kind": ledger.key, "columns": columns, "options": options},
        )
    return mapping


def _safe_cell(value: str) -> str:
    """A value for the error report that a spreadsheet will not run as a formula."""
    value = value[:VALUE_MAX]
    if value[:1] in ("=", "+", "@", "\t", "\r") or (
        value[:1] == "-" and not value[1:2].isdigit() and value[1:2] != "."
    ):
        return "'" + value
    return value


def _batches(
    rows: Iterator[tuple[int, list[str]]], header: list[str], columns: dict[str, str]
) -> Iterator[registry.Batch]:
    """The file's rows in batches of `IMPORTS_BATCH_ROWS`, by column (`registry.Batch`):
    each mapped column picked, stripped and listed with C-level maps, no object per row."""
    names = list(columns.values())
    getters = [itemgetter(header.index(column)) for column in columns]
    last = max(header.index(column) for column in columns)
    size = batch_rows()
    strip = str.strip
    first = itemgetter(0)
    second = itemgetter(1)
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        records = list(map(second, chunk))
        if min(map(len, records)) <= last:  # short rows: the missing cells are empty
            records = [r if len(r) > last else r + [""] * (last + 1 - len(r)) for r in records]
        yield registry.Batch(
            numbers=list(map(first, chunk)),
            columns={
                name: list(map(strip, map(get, records)))
                for name, get in zip(names, getters, strict=True)
            },
        )


def _pipeline(writer: registry.BatchWriter, run: ImportRun) -> bool:
    """Whether to read and check the file in a second process while this one writes: for a
    writer that allows it, a file over `IMPORTS_PIPELINE_MIN_MB` (by default the largest file
    imported during its upload request, so only the worker forks), where processes can be
    forked (the reading process inherits the open file and the writer's caches and never
    touches the database)."""
    limit = int(getattr(settings, "IMPORTS_PIPELINE_MIN_MB", 2)) * 1024 * 1024
    if not writer.pipelined or limit < 0:
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return bool(default_storage.size(run.stored_file) > limit)


class ReaderStopped(Exception):
    """The reading process failed (its error's text) or ended without finishing."""


def _produce(
    writer: registry.BatchWriter, batches: Iterator[registry.Batch], out: Any
) -> None:  # pragma: no cover  (runs in the forked reading process; coverage does not follow)
    try:
        for batch in batches:
            out.put((len(batch), batch.numbers[0], writer.prepare(batch)))
    except Exception as exc:  # handed to the writing process, which stops the run with it
        out.put(ReaderStopped(str(exc)))
        return
    out.put(None)


def _prepared(
    writer: registry.BatchWriter, batches: Iterator[registry.Batch], *, parallel: bool
) -> Generator[tuple[int, int, Any], None, None]:
    """(rows, first row number, `writer.prepare(batch)`) for each batch, in order. With
    `parallel`, a forked process reads and prepares batches while the caller stores them,
    at most `IMPORTS_PIPELINE_DEPTH` batches ahead (memory stays bounded); an error there
    is raised here. Close the iterator to stop that process early."""
    if not parallel:
        for batch in batches:
            yield len(batch), batch.numbers[0], writer.prepare(batch)
        return
    context = multiprocessing.get_context("fork")
    out = context.Queue(maxsize=max(1, int(getattr(settings, "IMPORTS_PIPELINE_DEPTH", 2))))
    reader = context.Process(target=_produce, args=(writer, batches, out), daemon=True)
    reader.start()
    try:
        while True:
            try:
                item = out.get(timeout=1.0)
            except queue.Empty:
                if not reader.is_alive() and out.empty():
                    raise ReaderStopped(
                        _("The file's reading process ended unexpectedly.")
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, ReaderStopped):
                raise item
            yield item
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        out.close()


def run_import(
    *,
    actor: Member,
    run: ImportRun,
    columns: dict[str, str],
    options: dict[str, str],
    mapping: ColumnMapping | None = None,
) -> ImportRun:
    """Import the run's file now, with this mapping; the run row records progress and outcome.

    A file that cannot be read (damaged workbook, unreadable text) imports nothing and the
    run is marked failed with the reason. Invalid rows are reported, valid rows imported."""
    ledger, options = _ready(actor, run, options)
    return _execute(actor, run, ledger, columns, options, mapping)


def should_queue(run: ImportRun) -> bool:
    """Whether the run's file is large enough to be imported by the worker rather than
    during the request (`IMPORTS_INLINE_MAX_MB`, default 2 MB: some 25,000 ledger rows)."""
    limit = float(getattr(settings, "IMPORTS_INLINE_MAX_MB", 2)) * 1024 * 1024
    return bool(default_storage.size(run.stored_file) > limit)


def queue_import(
    *,
    actor: Member,
    run: ImportRun,
    columns: dict[str, str],
    options: dict[str, str],
    mapping: ColumnMapping | None = None,
) -> ImportRun:
    """Check the mapping against the file and leave the run to the worker (`run_queued`).

    The same field errors as `run_import`, nothing changed; an unreadable file fails the run
    at once."""
    ledger, options = _ready(actor, run, options)
    try:
        with open_run_table(run) as table:
            used = check_columns(ledger, table.header, columns)
    except (readers.UnreadableFile, OSError) as exc:
        return _fail(actor, run, str(exc))
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.UPLOADED:
            raise ValidationError(_("This file has already been imported; upload it again."))
        run.columns, run.options, run.mapping = used, options, mapping
        run.status = RunStatus.QUEUED
        run.save(update_fields=["columns", "options", "mapping", "status"])
        audit.record(
            "import.queue",
            actor=actor,
            obj=run,
            details={"kind": run.kind, "columns": used, "options": options},
        )
    return run


def _ready(
    actor: Member, run: ImportRun, options: dict[str, str]
) -> tuple[registry.LedgerKind, dict[str, str]]:
    ledger = kind_for(actor, run.kind)
    access.check(actor, run, IMPORT_RUN, CHANGE)
    if run.status != RunStatus.UPLOADED:
        raise ValidationError(_("This file has already been imported; upload it again."))
    return ledger, ledger.clean_options(options)


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=float(getattr(settings, "IMPORTS_STALE_MINUTES", 10)))


MAX_ATTEMPTS = 3


def _claim(queryset: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def run_queued() -> str:
    """The worker's part: start again the runs whose worker stopped (no batch written for
    `IMPORTS_STALE_MINUTES`), then claim the oldest queued run and import it as the member
    who queued it, whose permissions are checked again now. Several workers may call this at
    once: a run is claimed by one conditional update, which only one of them wins."""
    now = timezone.now()
    restarted = ImportRun.objects.filter(
        status=RunStatus.RUNNING, attempts__gt=0, heartbeat_at__lt=now - stale_after()
    ).update(status=RunStatus.QUEUED)
    with transaction.atomic():
        pk = (
            _claim(ImportRun.objects.filter(status=RunStatus.QUEUED).order_by("created_at", "pk"))
            .values_list("pk", flat=True)
            .first()
        )
        claimed = (
            pk is not None
            and ImportRun.objects.filter(pk=pk, status=RunStatus.QUEUED).update(
                status=RunStatus.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
            )
            == 1
        )
    if not claimed:
        return f"restarted {restarted}, none queued" if restarted else "none queued"
    run = ImportRun.objects.select_related("unit", "created_by", "mapping").get(pk=pk)
    actor = run.created_by
    if run.attempts > MAX_ATTEMPTS:
        run = _fail(
            actor,
            run,
            _("Stopped: the worker was interrupted %(n)d times on this file.")
            % {"n": MAX_ATTEMPTS},
        )
        return f"run {run.pk} failed"
    if actor is None or not actor.is_active:
        run = _fail(actor, run, _("The member who queued this import can no longer import."))
        return f"run {run.pk} failed"
    try:
        ledger = kind_for(actor, run.kind)
        access.check(actor, run, IMPORT_RUN, CHANGE)
        options = ledger.clean_options(run.options)
    except (AccessDenied, NotFound, ValidationError):
        run = _fail(actor, run, _("The member who queued this import can no longer import."))
        return f"run {run.pk} failed"
    if run.attempts > 1:
        run.rows_read = run.rows_created = run.rows_updated = 0
        run.rows_unchanged = run.rows_rejected = 0
        run.message = _(
            "Started again after an interruption: rows written before count as unchanged."
        )
    run = _execute(actor, run, ledger, run.columns, options, run.mapping)
    return f"run {run.pk} {run.status}: {run.rows_read} rows"


def _execute(
    actor: Member | None,
    run: ImportRun,
    ledger: registry.LedgerKind,
    columns: dict[str, str],
    options: dict[str, str],
    mapping: ColumnMapping | None,
) -> ImportRun:
    assert actor is not None
    try:
        table = open_run_table(run)
    except (readers.UnreadableFile, OSError) as exc:
        return _fail(actor, run, str(exc))
    with table:
        used = check_columns(ledger, table.header, columns)
        writer = ledger.writer(actor=actor, unit=run.unit, options=options, run_id=run.pk)
        run.columns, run.options, run.mapping = used, options, mapping
        run.status, run.started_at = RunStatus.RUNNING, timezone.now()
        run.heartbeat_at = run.started_at
        run.save()
        field_column = {name: column for column, name in used.items()}
        report = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", newline="")  # noqa: SIM115
        out = csv.writer(report)
        out.writerow([_("row"), _("column"), _("value"), _("reason")])
        sample: list[dict[str, Any]] = []
        parallel = _pipeline(writer, run)
        # Everything allocated so far (Django, numpy, the writer's caches) out of the garbage
        # collector's sight for the import: its full collections then walk the batches'
        # objects only, and a forked reading process does not copy the pages they would
        # touch. Given back to it at the end (a worker runs for days).
        gc.freeze()
        stream = _prepared(writer, _batches(table.rows(), table.header, used), parallel=parallel)
        try:
            for size, first_row, prepared in stream:
                with transaction.atomic():
                    result = writer.store(prepared)
                    run.rows_read += size
                    run.rows_created += result.created
                    run.rows_updated += result.updated
                    run.rows_unchanged += result.unchanged
                    run.rows_rejected += result.rejected
                    run.heartbeat_at = timezone.now()
                    run.save(
                        update_fields=[
                            "heartbeat_at",
                            "rows_read",
                            "rows_created",
                            "rows_updated",
                            "rows_unchanged",
                            "rows_rejected",
                        ]
                    )
                    audit.record(
                        "import.batch",
                        actor=actor,
                        obj=run,
                        details={
                            "kind": run.kind,
                            "first_row": first_row,
                            "rows": size,
                            "created": result.created,
                            "updated": result.updated,
                            "rejected": result.rejected,
                        },
                    )
                for error in result.errors:
                    line = {
                        "row": error.row,
                        "column": field_column.get(error.field, ""),
                        "value": _safe_cell(error.value),
                        "reason": error.reason,
                    }
                    out.writerow(line.values())
                    if len(sample) < SAMPLE_ERRORS:
                        sample.append(line)
        except Exception as exc:  # a workbook damaged halfway, a decode error: stop, say where
            stream.close()  # the reading process, if any, stopped and waited for
            if isinstance(exc, ValidationError | AccessDenied):
                raise
            run.error_sample = sample
            run.error_file = _store_report(report) if sample else ""
            return _fail(
                actor,
                run,
                _("Stopped after row %(row)d: %(error)s")
                % {"row": run.rows_read + 1, "error": exc},
            )
        finally:
            gc.unfreeze()
        run.error_sample = sample
        run.error_file = _store_report(report) if sample else ""
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    with transaction.atomic():
        run.save()
        audit.record(
            "import.finish",
            actor=actor,
            obj=run,
            details={
                "kind": run.kind,
                "read": run.rows_read,
                "created": run.rows_created,
                "updated": run.rows_updated,
                "unchanged": run.rows_unchanged,
                "rejected": run.rows_rejected,
            },
        )
    return run


def _store_report(report: Any) -> str:
    report.seek(0)
    now = timezone.localtime()
    name = f"imports/{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}-errors.csv"
    data = io.BytesIO(report.read().encode("utf-8-sig"))  # BOM: Excel opens it as UTF-8
    report.close()
    return default_storage.save(name, File(data))


def _fail(actor: Member | None, run: ImportRun, message: str) -> ImportRun:
    run.status, run.message, run.finished_at = RunStatus.FAILED, message, timezone.now()
    with transaction.atomic():
        run.save()
        audit.record(
            "import.finish",
            actor=actor,
            obj=run,
            outcome="failed",
            details={"kind": run.kind, "read": run.rows_read, "message": message[:500]},
        )
    return run


def export_error_report(*, actor: Member, run: ImportRun) -> bytes:
    """The run's error report as `actor` downloads it, audited like every export
    (``import.error_report``): the refused values are the ledger's own (an incident's
    description among them)."""
    audit.record(
        "import.error_report",
        actor=actor,
        obj=run,
        details={"kind": run.kind, "rows_rejected": run.rows_rejected},
    )
    return error_report(run)


def error_report(run: ImportRun) -> bytes:
    """The run's error report (CSV, UTF-8 with BOM); only a header when no row was refused."""
    if run.error_file:
        with default_storage.open(run.error_file, "rb") as fh:
            return bytes(fh.read())
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_("row"), _("column"), _("value"), _("reason")])
    return buffer.getvalue().encode("utf-8-sig")
