"""Alert areas in CAP's notation: polygons ("lat,lon lat,lon …", closed) and circles
("lat,lon radius_km"), parsed with clear errors, and the tests that decide who is inside."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

EARTH_KM = 6371.0088
POINT = re.compile(r"^(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)$")
CIRCLE = re.compile(r"^(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?) (\d+(?:\.\d+)?)$")
MAX_POINTS = 500


class AreaError(ValueError):
    """The area text is not a valid CAP polygon or circle; the message says why."""


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float

    def cap(self) -> str:
        return f"{self.lat:.6f},{self.lon:.6f} {self.radius_km:g}"

    def contains(self, lat: float, lon: float) -> bool:
        return distance_km(self.lat, self.lon, lat, lon) <= self.radius_km


def _point(text: str) -> tuple[float, float]:
    match = POINT.match(text)
    if not match:
        raise AreaError(_("“%(point)s” is not a “latitude,longitude” pair.") % {"point": text[:40]})
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AreaError(_("“%(point)s” is outside the globe.") % {"point": text[:40]})
    return lat, lon


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """A CAP polygon: at least four points, the first equal to the last (closed)."""
    parts = text.split()
    if len(parts) > MAX_POINTS:
        raise AreaError(_("A polygon of at most %(n)d points.") % {"n": MAX_POINTS})
    points = [_point(p) for p in parts]
    if len(points) < 4:
        raise AreaError(_("A polygon needs at least four points (the first repeated last)."))
    if points[0] != points[-1]:
        raise AreaError(_("The polygon is not closed: its last point must repeat the first."))
    return points


def format_polygon(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{lat:g},{lon:g}" for lat, lon in points)


def parse_circle(text: str) -> Circle:
    """A CAP circle: "lat,lon radius" with the radius in kilometres."""
    match = CIRCLE.match(text.strip())
    if not match:
        raise AreaError(_("A circle is written “latitude,longitude radius-in-km”."))
    lat, lon = _point(f"{match.group(1)},{match.group(2)}")
    return Circle(lat, lon, float(match.group(3)))


def in_polygon(points: list[tuple[float, float]], lat: float, lon: float) -> bool:
    """Ray casting on (lon, lat) as a plane: right for areas of a few dozen kilometres."""
    inside = False
    n = len(points)
    for i in range(n - 1):
        (y1, x1), (y2, x2) = points[i], points[i + 1]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def bounding_box(
    points: list[tuple[float, float]],
) -> tuple[float, float, float, float]:
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return min(lats), min(lons), max(lats), max(lons)


def circle_box(circle: Circle) -> tuple[float, float, float, float]:
    dlat = circle.radius_km / 111.2
    dlon = circle.radius_km / max(0.01, 111.2 * math.cos(math.radians(circle.lat)))
    return circle.lat - dlat, circle.lon - dlon, circle.lat + dlat, circle.lon + dlon


@dataclass(frozen=True)
class Shape:
    """A boundary polygon as recipient selection sees it: its outer ring less its holes
    (inner rings), each closed, in "lat,lon" order."""

    outer: list[tuple[float, float]]
    holes: tuple[list[tuple[float, float]], ...] = ()

    def contains(self, lat: float, lon: float) -> bool:
        """Inside the outer ring and in none of the holes (a village in a hole, an
        enclave of another township, is not inside)."""
        return in_polygon(self.outer, lat, lon) and not any(
            in_polygon(hole, lat, lon) for hole in self.holes
        )


def _ring(points: object) -> list[tuple[float, float]] | None:
    """A GeoJSON ring ("lon,lat" pairs) as closed "lat,lon" points, or None if it is not
    one (unreadable, fewer than four points once closed, outside the globe)."""
    if not isinstance(points, list):
        return None
    try:
        ring = [(round(float(p[1]), 6), round(float(p[0]), 6)) for p in points]
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4 or not all(-90 <= a <= 90 and -180 <= b <= 180 for a, b in ring):
        return None
    return ring


def boundary_shapes(geojson: str) -> list[Shape]:
    """A place's GeoJSON boundary (Polygon or MultiPolygon, bare or in a Feature, in
    "lon,lat" order) as shapes with their holes, every ring kept whole. An empty,
    unreadable or degenerate boundary gives none; an unreadable hole is left out."""
    if not geojson:
        return []
    try:
        data = json.loads(geojson)
    except (TypeError, ValueError):
        return []
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict):
        return []
    coordinates = data.get("coordinates")
    if data.get("type") == "Polygon":
        coordinates = [coordinates]
    elif data.get("type") != "MultiPolygon":
        return []
    shapes = []
    for polygon in coordinates if isinstance(coordinates, list) else []:
        if not isinstance(polygon, list) or not polygon:
            continue
        outer = _ring(polygon[0])
        if outer is None:
            continue
        holes = tuple(hole for hole in map(_ring, polygon[1:]) if hole is not None)
        shapes.append(Shape(outer=outer, holes=holes))
    return shapes


def thinned(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A closed ring of at most MAX_POINTS points (a longer one thinned evenly)."""
    if len(ring) <= MAX_POINTS:
        return ring
    step = math.ceil((len(ring) - 1) / (MAX_POINTS - 1))
    return [*ring[:-1:step], ring[0]]


def boundary_polygons(geojson: str) -> list[list[tuple[float, float]]]:
    """A place's GeoJSON boundary as CAP polygons in "lat,lon" order: the outer ring of
    each polygon, closed, at most MAX_POINTS points (longer rings are thinned evenly).
    A CAP <area> cannot say "less this hole" (its polygons add up), so the CAP message
    carries the outer rings only; who receives the alert is decided by the shapes with
    their holes (`boundary_shapes`)."""
    return [thinned(shape.outer) for shape in boundary_shapes(geojson)]


def cap_polygon(points: list[tuple[float, float]]) -> str:
    """Points as a CAP polygon, six decimals at most."""
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)
