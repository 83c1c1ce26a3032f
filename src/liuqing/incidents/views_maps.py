"""Staff pages of the incident maps (under /incidents/map/): the monthly heat map, hot spots
(Gi*), emerging hot spots, their data for the page's script, the exports, and "refresh now".

Every export is audited (``incident.map_export``: format, unit, month, category, resolution,
cells; the PNG also its layer). GeoJSON and CSV are written by the server, which records the
event as it answers. The PNG is drawn by the page's script on a canvas from the cells it
already shows (the browser shapes the Uyghur and Kazakh Arabic-script legend correctly, which
a server-side raster library without a shaping engine would not, and no second renderer has
to agree with the map on screen): before saving the file the script posts what it exports to
`export_png_audit`, and saves it only once the server has recorded the event (the name of
the file comes back with it). The picture holds nothing that `map_data` did not already give
the page. Every page is scoped to the member's jurisdiction; a unit,
month, category or resolution that is not offered is shown as a field error, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from liuqing.analytics import emerging
from liuqing.core import access, audit
from liuqing.core.access import CHANGE, AccessDenied
from liuqing.core.auth import staff_required
from liuqing.core.models import Member, Unit
from liuqing.core.views.common import actor_of
from liuqing.incidents import maps, selectors, thresholds
from liuqing.incidents.locate import resolutions
from liuqing.incidents.models import IncidentCategory
from liuqing.incidents.policies import INCIDENT
from liuqing.incidents.refresh import refresh_maps

LEVEL_COLOURS = {"green": "#5aae61", "yellow": "#f6c343", "red": "#d73027"}
BIN_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#f7f7f7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
PATTERN_COLOURS = {
    emerging.Pattern.NEW_HOT: "#fee08b",
    emerging.Pattern.CONSECUTIVE_HOT: "#fdae61",
    emerging.Pattern.INTENSIFYING_HOT: "#d73027",
    emerging.Pattern.PERSISTENT_HOT: "#a50026",
    emerging.Pattern.DIMINISHING_HOT: "#f46d43",
    emerging.Pattern.SPORADIC_HOT: "#fdd49e",
    emerging.Pattern.OSCILLATING_HOT: "#e7298a",
    emerging.Pattern.HISTORICAL_HOT: "#bf812d",
    emerging.Pattern.NEW_COLD: "#e0f3f8",
    emerging.Pattern.CONSECUTIVE_COLD: "#abd9e9",
    emerging.Pattern.INTENSIFYING_COLD: "#4575b4",
    emerging.Pattern.PERSISTENT_COLD: "#313695",
    emerging.Pattern.DIMINISHING_COLD: "#74add1",
    emerging.Pattern.SPORADIC_COLD: "#c6dbef",
    emerging.Pattern.OSCILLATING_COLD: "#7570b3",
    emerging.Pattern.HISTORICAL_COLD: "#35978f",
    emerging.Pattern.NO_PATTERN: "#f7f7f7",
}
LAYERS = {
    "levels": gettext_lazy("Monthly heat map"),
    "hotspots": gettext_lazy("Hot spots (Gi*)"),
    "emerging": gettext_lazy("Emerging hot spots"),
}


class MapForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("unit"), required=False)
    resolution = forms.TypedChoiceField(label=gettext_lazy("cell size"), coerce=int, required=False)
    category = forms.ChoiceField(label=gettext_lazy("category"), required=False)
    month = forms.CharField(label=gettext_lazy("month"), required=False)

    def __init__(self, data: Any, *, actor: Member) -> None:
        super().__init__(data)
        self.actor = actor
        self.units = list(maps.map_units_for(actor))
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [
            (str(u.pk), f"{'· ' * max(0, u.depth - actor.unit.depth)}{u.name}") for u in self.units
        ]
        coarse, fine = resolutions()
        res_field = self.fields["resolution"]
        assert isinstance(res_field, forms.ChoiceField)
        res_field.choices = [
            (str(fine), _("Small cells (resolution %(r)d)") % {"r": fine}),
            (str(coarse), _("Large cells (resolution %(r)d)") % {"r": coarse}),
        ]
        self.categories = list(selectors.categories(active=None))
        cat_field = self.fields["category"]
        assert isinstance(cat_field, forms.ChoiceField)
        cat_field.choices = [("", _("All categories"))] + [
            (c.code, c.label) for c in self.categories
        ]

    def selection(self) -> tuple[Unit | None, int, IncidentCategory | None, dt.date | None]:
        """The valid choices (an invalid one is shown with its error and the default used)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        units = {str(u.pk): u for u in self.units}
        unit = units.get(data.get("unit") or "") if "unit" not in self.errors else None
        if unit is None:
            own = [u for u in self.units if u.pk == self.actor.unit_id]
            unit = own[0] if own else (self.units[0] if self.units else None)
        resolution = data.get("resolution") or resolutions()[1]
        if "resolution" in self.errors:
            resolution = resolutions()[1]
        codes = {c.code: c for c in self.categories}
        category = codes.get(data.get("category") or "")
        month = None
        text = (data.get("month") or "").strip()
        if text:
            try:
                month = dt.datetime.strptime(text, "%Y-%m").date()
            except ValueError:
                self.add_error("month", _("Give a month as YYYY-MM."))
        return unit, int(resolution), category, month


def _view(
    request: HttpRequest, *, strict: bool = False, data: Any = None
) -> tuple[MapForm, maps.MapView | None, dict[str, Any]]:
    """The form and the chosen map (from `data`, the query string by default). `strict`
    (exports): a unit or month that is not offered is a 404 rather than the default map
    shown with the error."""
    actor = actor_of(request)
    maps.require_view(actor)
    form = MapForm(request.GET if data is None else data, actor=actor)
    unit, resolution, category, month = form.selection()
    if strict and form.errors:
        raise access.NotFound
    view = None
    if unit is not None:
        try:
            view = maps.load_map(
                actor, unit=unit, resolution=resolution, month=month, category=category
            )
        except access.NotFound:
            if strict:
                raise
            form.add_error("month", _("There is no map of this month; choose one offered."))
            try:
                view = maps.load_map(actor, unit=unit, resolution=resolution, category=category)
            except access.NotFound:  # a category added after the last refresh
                view = None
    params = {
        "unit": unit.pk if unit else "",
        "resolution": resolution,
        "category": category.code if category else "",
        "month": view.month.strftime("%Y-%m") if view else "",
    }
    return form, view, params


def _legend(layer: str, view: maps.MapView | None) -> list[dict[str, Any]]:
    if layer == "hotspots":
        counts = {b: n for b, _label, n in view.bin_counts()} if view else {}
        return [
            {
                "key": str(b),
                "label": str(maps.BIN_LABELS[b]),
                "colour": BIN_COLOURS[b],
                "count": counts.get(b, 0),
            }
            for b in range(3, -4, -1)
        ]
    if layer == "emerging":
        counts = {k: n for k, _label, n in view.pattern_counts()} if view else {}
        return [
            {
                "key": p.value,
                "label": str(maps.PATTERN_LABELS[p]),
                "colour": PATTERN_COLOURS[p],
                "count": counts.get(p.value, 0),
            }
            for p in emerging.PATTERNS
        ]
    counts = view.level_counts() if view else {}
    return [
        {
            "key": key,
            "label": str(maps.LEVEL_LABELS[level]),
            "colour": LEVEL_COLOURS[key],
            "count": counts.get(key, 0),
        }
        for level, key in sorted(maps.LEVEL_KEYS.items(), reverse=True)
    ]


def _page(request: HttpRequest, layer: str, template: str) -> HttpResponse:
    form, view, params = _view(request)
    actor = actor_of(request)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    months = [m.strftime("%Y-%m") for m in view.months] if view else []
    context: dict[str, Any] = {
        "form": form,
        "view": view,
        "layer": layer,
        "layer_label": LAYERS[layer],
        "layers": [
            (key, label, reverse(f"incidents:{_page_name(key)}")) for key, label in LAYERS.items()
        ],
        "legend": _legend(layer, view),
        "months": months,
        "month_index": months.index(params["month"]) if view and params["month"] in months else 0,
        "query": query,
        "data_url": f"{reverse('incidents:map_data')}?{query}",
        "params": params,
        "tile_url": getattr(settings, "MAP_TILE_URL", ""),
        "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
        "can_refresh": access.can(actor, INCIDENT, CHANGE),
        "map_config": {
            "layer": layer,
            "legend": _legend(layer, view),
            "months": months,
            "tiles": getattr(settings, "MAP_TILE_URL", ""),
            "attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
            "title": str(LAYERS[layer]),
            "subtitle": (
                f"{view.unit.name} · {params['month']} · "
                f"{view.category.label if view.category else _('All categories')}"
                if view
                else ""
            ),
        },
    }
    if view is not None and layer == "hotspots":
        context["rows"] = maps.hot_rows(view)[:200]
    if view is not None and layer == "emerging":
        context["rows"] = maps.pattern_rows(view)[:200]
    if layer == "emerging":
        context["thresholds"] = _thresholds()
    return render(request, template, context)


def _thresholds() -> dict[str, Any]:
    """The emerging hot-spot settings in force, as the page states them (percentages)."""
    t = thresholds.emerging_parameters()
    return {
        "confidence": f"{t['confidence'] * 100:g}",
        "fdr": t["fdr"],
        "alpha": f"{t['trend_alpha'] * 100:g}",
        "share": f"{float(t['persistence']) * 100:g}",
        "lag": t["time_lag"],
    }


def _page_name(layer: str) -> str:
    return {"levels": "map", "hotspots": "hotspots", "emerging": "emerging"}[layer]


@staff_required
@require_GET
def heat_map(request: HttpRequest) -> HttpResponse:
    return _page(request, "levels", "incidents/map.html")


@staff_required
@require_GET
def hot_spots(request: HttpRequest) -> HttpResponse:
    return _page(request, "hotspots", "incidents/hotspots.html")


@staff_required
@require_GET
def emerging_hot_spots(request: HttpRequest) -> HttpResponse:
    return _page(request, "emerging", "incidents/emerging.html")


@staff_required
@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    """What the page's script draws: the cells (GeoJSON) and the unit boundaries."""
    actor = actor_of(request)
    _form, view, _params = _view(request)
    if view is None:
        return JsonResponse({"cells": None, "boundaries": None})
    return JsonResponse(
        {"cells": maps.as_geojson(view), "boundaries": maps.boundaries(actor, view.unit)}
    )


def _export_audit(actor: Member, view: maps.MapView, fmt: str, layer: str = "") -> None:
    details: dict[str, Any] = {
        "format": fmt,
        "unit": view.unit.code,
        "resolution": view.resolution,
        "month": view.month.strftime("%Y-%m"),
        "category": view.category.code if view.category else "",
        "cells": int(view.cells.size),
    }
    if layer:
        details["layer"] = layer
    audit.record(
        "incident.map_export",
        actor=actor,
        object_type="incidents.cellmap",
        unit=view.unit,
        details=details,
    )


def _filename(view: maps.MapView, ext: str) -> str:
    category = view.category.code if view.category else "all"
    return f"incident-map-{view.unit.code}-{view.month:%Y-%m}-{category}-r{view.resolution}.{ext}"


@staff_required
@require_GET
def export_geojson(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _form, view, _params = _view(request, strict=True)
    if view is None:
        raise access.NotFound
    _export_audit(actor, view, "geojson")
    response = HttpResponse(
        json.dumps(maps.as_geojson(view), ensure_ascii=False),
        content_type="application/geo+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(view, "geojson")}"'
    return response


@staff_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _form, view, _params = _view(request, strict=True)
    if view is None:
        raise access.NotFound
    _export_audit(actor, view, "csv")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(view, "csv")}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(maps.CSV_HEADER)
    writer.writerows(maps.csv_rows(view))
    return response


@staff_required
@require_POST
def export_png_audit(request: HttpRequest) -> HttpResponse:
    """Record the PNG export the page's script is about to save: the map posted (unit,
    resolution, category, month, as the page shows it) and its layer. 201 with the file's
    name; a map or layer that is not offered is a 404 and nothing is recorded."""
    actor = actor_of(request)
    layer = request.POST.get("layer", "")
    if layer not in LAYERS:
        raise access.NotFound
    _form, view, _params = _view(request, strict=True, data=request.POST)
    if view is None:
        raise access.NotFound
    _export_audit(actor, view, "png", layer)
    name = _filename(view, "png").replace("incident-map-", f"incident-{layer}-", 1)
    return JsonResponse({"filename": name}, status=201)


@staff_required
@require_POST
def refresh_now(request: HttpRequest) -> HttpResponse:
    """Recompute the maps of a unit of the jurisdiction (and the units below it) now."""
    actor = actor_of(request)
    if not access.can(actor, INCIDENT, CHANGE):
        raise AccessDenied
    raw = request.POST.get("unit") or str(actor.unit_id)
    unit = maps.access_map_unit(actor, raw)
    try:
        run = refresh_maps(root=unit, trigger="manual", actor=actor)
    except Exception:  # recorded as a failed run; the page says so instead of a 500
        messages.error(request, _("The refresh failed; it was recorded. Try again later."))
        return redirect(f"{reverse('incidents:map')}?unit={unit.pk}")
    messages.success(
        request,
        _("The maps were refreshed: %(maps)d maps, %(incidents)d incidents.")
        % {"maps": run.maps, "incidents": run.incidents},
    )
    return redirect(f"{reverse('incidents:map')}?unit={unit.pk}")


urlpatterns = [
    path("incidents/map/", heat_map, name="map"),
    path("incidents/map/data/", map_data, name="map_data"),
    path("incidents/map/export.geojson", export_geojson, name="map_geojson"),
    path("incidents/map/export.csv", export_csv, name="map_csv"),
    path("incidents/map/export.png/audit/", export_png_audit, name="map_png_audit"),
    path("incidents/map/refresh/", refresh_now, name="map_refresh"),
    path("incidents/hotspots/", hot_spots, name="hotspots"),
    path("incidents/emerging/", emerging_hot_spots, name="emerging"),
]
