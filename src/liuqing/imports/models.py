"""Import runs and saved column mappings of the ledger import engine (see services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.core.models import Unit


class ColumnMapping(models.Model):
    """A saved column mapping for one ledger kind: source column name → target field, and the
    options (coordinate system, time format, source system). Owned by a unit, reusable by
    everyone whose jurisdiction includes it."""

    kind = models.CharField(_("ledger kind"), max_length=32)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=64)
    columns = models.JSONField(default=dict)  # {"警情编号": "source_id", ...}
    options = models.JSONField(default=dict)  # {"coordinates": "gcj02", ...}
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "unit", "name"], name="column_mapping_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the column mapping")
    QUEUED = "queued", _("Queued: the worker will import it")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One import of one file: who, when, what, the counts, the outcome and the error report.

    Rows are written batch by batch, each batch in its own transaction with its audit event,
    and the counts here are updated in the same transaction, so they always say what is in
    the database. If a run stops halfway (a process killed, a workbook damaged in the middle),
    the batches before stay; running the same file again is safe because every ledger kind
    writes idempotently (rows already there are reported unchanged).

    Large files are queued for the worker (`status` queued) instead of being imported during
    the request; a worker that dies mid-run leaves the run running with an old heartbeat, and
    the next worker pass starts it again from the top (counts restart; rows written before
    count as unchanged).
    """

    kind = models.CharField(_("ledger kind"), max_length=32)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A run the worker imports: when its last batch was written (a stalled run is re-queued)
    # and how many times it has been started.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(_("file name"), max_length=160)
    stored_file = models.CharField(max_length=200)  # name in the default storage
    file_format = models.CharField(max_length=8)
    encoding = models.CharField(max_length=16, blank=True)
    mapping = models.ForeignKey(
        ColumnMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    columns = models.JSONField(default=dict)  # the mapping actually used
    options = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.UPLOADED
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    error_file = models.CharField(max_length=200, blank=True)
    error_sample = models.JSONField(default=list)  # the first errors, for the result page

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.kind})"
