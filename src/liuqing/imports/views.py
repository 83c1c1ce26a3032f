"""Pages of the import engine (under /imports/): the runs, the upload, the column mapping with
a preview of the first rows, the result with its counts, and the error report download.

The run is made in the request that submits the mapping; a very large file is better sent
through the JSON API in batches until the worker job that runs imports in the background
exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from liuqing.core import access
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.forms import apply_errors
from liuqing.core.views.common import actor_of, paginate, posted, render_list
from liuqing.imports import readers, registry, selectors, services
from liuqing.imports.forms import MappingForm, UploadForm
from liuqing.imports.models import RunStatus
from liuqing.imports.policies import IMPORT_RUN

GET_POST = require_http_methods(["GET", "POST"])


@staff_required
def run_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not access.can(actor, IMPORT_RUN, access.VIEW):
        raise AccessDenied
    return render_list(
        request,
        "imports/runs.html",
        "imports/_runs.html",
        {
            "page": paginate(request, selectors.runs_visible_to(actor)),
            "can_add": bool(selectors.kinds_for(actor)),
            "kinds": {k: v.label for k, v in registry.KINDS.items()},
        },
    )


@staff_required
@GET_POST
def upload(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    kinds = selectors.kinds_for(actor)
    if not kinds:
        raise AccessDenied
    initial = {"unit": actor.unit_id, "kind": request.GET.get("kind", kinds[0].key)}
    form = UploadForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        actor=actor,
        kinds=kinds,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_import(
                actor=actor,
                kind=form.cleaned_data["kind"],
                unit=form.cleaned_data["unit"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("imports:mapping", pk=run.pk)
    return render(request, "imports/upload.html", {"form": form})


@staff_required
@GET_POST
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose (or reuse) the column mapping, look at the first rows, run the import."""
    actor = actor_of(request)
    run = selectors.access_run(actor, pk, for_write=True)
    if run.status != RunStatus.UPLOADED:
        return redirect("imports:run_detail", pk=run.pk)
    ledger = services.kind_for(actor, run.kind)
    saved_mappings = selectors.mappings_for(actor, run.kind)
    raw = request.POST.get("mapping") or request.GET.get("mapping") or ""
    saved = saved_mappings.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
    try:
        with services.open_run_table(run) as table:
            header, preview = table.header, table.preview()
    except (readers.UnreadableFile, OSError) as exc:
        messages.error(request, str(exc))
        return redirect("imports:run_detail", pk=run.pk)
    form = MappingForm(posted(request), ledger=ledger, header=header, saved=saved)
    if request.method == "POST" and form.is_valid():
        try:
            columns, options = form.columns(), form.options()
            services.check_columns(ledger, header, columns)
            if form.cleaned_data["mapping_name"]:
                saved = services.save_mapping(
                    actor=actor,
                    kind=run.kind,
                    unit=run.unit,
                    name=form.cleaned_data["mapping_name"],
                    columns=columns,
                    options=options,
                )
            start = services.queue_import if services.should_queue(run) else services.run_import
            start(actor=actor, run=run, columns=columns, options=options, mapping=saved)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("imports:run_detail", pk=run.pk)
    response = render(
        request,
        "imports/mapping.html",
        {
            "run": run,
            "ledger": ledger,
            "form": form,
            "header": header,
            "preview": preview,
            "saved_mappings": saved_mappings,
            "saved": saved,
        },
    )
    add_never_cache_headers(response)
    return response


@staff_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's counts and refused rows; while the worker has it, the page polls itself (htmx)
    and swaps in the fresh facts."""
    actor = actor_of(request)
    run = selectors.access_run(actor, pk)
    ledger = registry.get(run.kind)
    return render(
        request,
        "imports/_run_body.html" if request.headers.get("HX-Request") else "imports/run.html",
        {
            "run": run,
            "ledger": ledger,
            "can_change": access.can(actor, IMPORT_RUN, CHANGE)
            and ledger is not None
            and access.can(actor, ledger.policy_kind, CHANGE),
        },
    )


@staff_required
def error_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows refused, as CSV: row, column, value, reason (a download, never shown inline),
    audited (`services.export_error_report`)."""
    actor = actor_of(request)
    run = selectors.access_run(actor, pk)
    response = HttpResponse(
        services.export_error_report(actor=actor, run=run), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


app_name = "imports"
urlpatterns = [
    path("imports/", run_list, name="run_list"),
    path("imports/new/", upload, name="upload"),
    path("imports/<int:pk>/", run_detail, name="run_detail"),
    path("imports/<int:pk>/mapping/", mapping, name="mapping"),
    path("imports/<int:pk>/errors.csv", error_report, name="errors"),
]
