"""H3 cells: coordinates, GCJ-02, binning, a jurisdiction's cells, weights, boundaries."""

from __future__ import annotations

import h3.api.basic_int as h3int
import numpy as np
import pytest

from liuqing.analytics import cells


def metres_between(
    lat1: np.ndarray, lng1: np.ndarray, lat2: np.ndarray, lng2: np.ndarray
) -> np.ndarray:
    """Haversine distance on a 6,371 km sphere (plenty for checking offsets in metres)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lng2 - lng1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(a))


# --- Coordinates -------------------------------------------------------------------------------


def test_impossible_coordinates_are_flagged() -> None:
    lat = [39.9, 91.0, -90.0, np.nan, 0.0, 10.0, 39.9]
    lng = [116.4, 116.4, 180.0, 116.4, 0.0, np.inf, -181.0]
    assert cells.valid_coordinates(lat, lng).tolist() == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
    ]


def test_a_bounding_box_rejects_swapped_coordinates() -> None:
    beijing = (39.4, 115.4, 41.1, 117.5)
    ok = cells.valid_coordinates([39.9, 116.4], [116.4, 39.9], bbox=beijing)
    assert ok.tolist() == [True, False]


def test_gcj02_round_trip_is_within_half_a_metre() -> None:
    rng = np.random.default_rng(0)
    lat = rng.uniform(18.0, 53.0, 20_000)
    lng = rng.uniform(74.0, 134.0, 20_000)
    g_lat, g_lng = cells.wgs84_to_gcj02(lat, lng)
    offset = metres_between(lat, lng, g_lat, g_lng)
    assert offset.min() > 0
    assert offset.max() < 1_000  # the published offsets are a few hundred metres
    back_lat, back_lng = cells.gcj02_to_wgs84(g_lat, g_lng)
    assert metres_between(lat, lng, back_lat, back_lng).max() < 0.01  # asked: < 0.5 m


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # (lat, lng) pairs published as test vectors by other implementations of the formulas.
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
        ((39.90734, 116.39089), (39.90874107, 116.39713094)),
    ],
)
def test_wgs84_to_gcj02_matches_published_vectors(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    lat, lng = cells.wgs84_to_gcj02([wgs[0]], [wgs[1]])
    assert lat[0] == pytest.approx(gcj[0], abs=1e-8)
    assert lng[0] == pytest.approx(gcj[1], abs=1e-8)


def test_gcj02_to_wgs84_matches_a_published_vector() -> None:
    lat, lng = cells.gcj02_to_wgs84([45.0], [123.0])
    # The published inverse stops about 2 cm short (1e-7°); ours solves the forward
    # transform to 1e-9°, so compare at 1e-6° (~10 cm) and check the forward image exactly.
    assert lat[0] == pytest.approx(44.99804071, abs=1e-6)
    assert lng[0] == pytest.approx(122.99395597, abs=1e-6)
    again_lat, again_lng = cells.wgs84_to_gcj02(lat, lng)
    assert again_lat[0] == pytest.approx(45.0, abs=1e-9)
    assert again_lng[0] == pytest.approx(123.0, abs=1e-9)


def test_gcj02_leaves_points_outside_china_alone() -> None:
    lat, lng = cells.gcj02_to_wgs84([48.8566, -33.9], [2.3522, 151.2])
    assert lat.tolist() == [48.8566, -33.9]
    assert lng.tolist() == [2.3522, 151.2]
    f_lat, f_lng = cells.wgs84_to_gcj02([48.8566], [2.3522])
    assert (f_lat[0], f_lng[0]) == (48.8566, 2.3522)


# --- Binning -----------------------------------------------------------------------------------


def test_points_bin_to_the_cells_h3_py_gives() -> None:
    rng = np.random.default_rng(1)
    lat = 39.9 + rng.normal(0, 0.05, 500)
    lng = 116.4 + rng.normal(0, 0.05, 500)
    binned = cells.points_to_cells(lat, lng, 9)
    expected = [h3int.latlng_to_cell(a, b, 9) for a, b in zip(lat, lng, strict=True)]
    assert binned.dtype == np.uint64
    assert binned.tolist() == expected


def test_impossible_points_get_no_cell() -> None:
    binned = cells.points_to_cells([39.9, np.nan, 0.0, 39.91], [116.4, 116.4, 0.0, 116.41], 8)
    assert binned[1] == 0
    assert binned[2] == 0
    assert binned[0] == h3int.latlng_to_cell(39.9, 116.4, 8)
    assert binned[3] == h3int.latlng_to_cell(39.91, 116.41, 8)


def test_counts_in_cells_keep_empty_cells_and_report_points_outside() -> None:
    centre = h3int.latlng_to_cell(39.9, 116.4, 9)
    area = np.unique(np.array(h3int.grid_disk(centre, 1), dtype=np.uint64))
    far = h3int.latlng_to_cell(31.2, 121.5, 9)
    points = np.array([centre, centre, area[0], far, 0], dtype=np.uint64)
    counts, outside = cells.counts_in_cells(points, area)
    assert counts.sum() == 3
    assert counts[np.searchsorted(area, centre)] == 2
    assert (counts == 0).sum() == 7 - 2 + (1 if area[0] == centre else 0)
    assert outside == 2


def test_unsorted_cells_are_refused() -> None:
    with pytest.raises(ValueError, match="sorted"):
        cells.neighbour_weights(np.array([5, 3], dtype=np.uint64))


# --- Jurisdiction ------------------------------------------------------------------------------

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[116.30, 39.85], [116.40, 39.85], [116.40, 39.95], [116.30, 39.95], [116.30, 39.85]]
    ],
}


def test_jurisdiction_cells_are_the_cells_whose_centre_is_inside() -> None:
    found = cells.jurisdiction_cells(SQUARE, 8)
    assert found.dtype == np.uint64
    assert np.all(found[1:] > found[:-1])
    for cell in found:
        lat, lng = h3int.cell_to_latlng(int(cell))
        assert 39.85 <= lat <= 39.95
        assert 116.30 <= lng <= 116.40
    # A point well inside falls in one of them.
    assert h3int.latlng_to_cell(39.9, 116.35, 8) in set(found.tolist())


def test_adjoining_polygons_share_no_cell_and_union_to_the_whole() -> None:
    west = {
        "type": "Polygon",
        "coordinates": [
            [[116.30, 39.85], [116.35, 39.85], [116.35, 39.95], [116.30, 39.95], [116.30, 39.85]]
        ],
    }
    east = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [
                [
                    [
                        [116.35, 39.85],
                        [116.40, 39.85],
                        [116.40, 39.95],
                        [116.35, 39.95],
                        [116.35, 39.85],
                    ]
                ]
            ],
        },
    }
    a = cells.jurisdiction_cells(west, 9)
    b = cells.jurisdiction_cells(east, 9)
    assert np.intersect1d(a, b).size == 0
    both = cells.jurisdiction_cells([west, east], 9)
    np.testing.assert_array_equal(both, np.union1d(a, b))
    np.testing.assert_array_equal(both, cells.jurisdiction_cells(SQUARE, 9))


def test_a_hole_is_left_out() -> None:
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            SQUARE["coordinates"][0],
            [[116.33, 39.88], [116.33, 39.92], [116.37, 39.92], [116.37, 39.88], [116.33, 39.88]],
        ],
    }
    assert h3int.latlng_to_cell(39.9, 116.35, 9) not in set(
        cells.jurisdiction_cells(with_hole, 9).tolist()
    )


def test_a_point_is_not_a_jurisdiction() -> None:
    with pytest.raises(ValueError, match="not a polygon"):
        cells.jurisdiction_cells({"type": "Point", "coordinates": [116.4, 39.9]}, 9)


# --- Weights -----------------------------------------------------------------------------------


def python_weights(area: np.ndarray, k: int) -> set[tuple[int, int]]:
    """The plain h3-py loop: each cell's disk, kept where inside the area, without itself."""
    position = {int(c): i for i, c in enumerate(area)}
    pairs = set()
    for i, cell in enumerate(area):
        for other in h3int.grid_disk(int(cell), k):
            j = position.get(other)
            if j is not None and j != i:
                pairs.add((i, j))
    return pairs


@pytest.mark.parametrize("k", [1, 2])
def test_weights_equal_the_plain_loop(k: int) -> None:
    area = cells.jurisdiction_cells(SQUARE, 8)
    weights = cells.neighbour_weights(area, k)
    rows, cols = weights.nonzero()
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == python_weights(area, k)
    assert set(weights.data.tolist()) == {1.0}
    assert weights.has_sorted_indices
    assert (weights != weights.T).nnz == 0
    assert weights.diagonal().sum() == 0


def test_weights_include_a_pentagon() -> None:
    pentagon = next(c for c in h3int.get_pentagons(5))
    area = np.unique(np.array(h3int.grid_disk(pentagon, 2), dtype=np.uint64))
    weights = cells.neighbour_weights(area, 1)
    row = int(np.searchsorted(area, pentagon))
    assert weights.indptr[row + 1] - weights.indptr[row] == 5


def test_cached_weights_are_shared_and_read_only() -> None:
    area = cells.jurisdiction_cells(SQUARE, 8)
    first = cells.cached_neighbour_weights(area, 1)
    assert cells.cached_neighbour_weights(area.copy(), 1) is first
    assert cells.cached_neighbour_weights(area, 2) is not first
    with pytest.raises(ValueError, match="read-only"):
        first.data[0] = 2.0


# --- Boundaries --------------------------------------------------------------------------------


def test_cell_boundary_is_a_closed_lng_lat_ring() -> None:
    cell = h3int.latlng_to_cell(39.9, 116.4, 9)
    polygon = cells.cell_polygon(cell)
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon"
    assert len(ring) == 7
    assert ring[0] == ring[-1]
    lat, lng = h3int.cell_to_boundary(cell)[0]
    assert ring[0] == [round(lng, 7), round(lat, 7)]
    for point_lng, point_lat in ring:
        assert 116 < point_lng < 117
        assert 39 < point_lat < 40


def test_feature_collection_carries_the_properties() -> None:
    area = cells.jurisdiction_cells(SQUARE, 7)
    collection = cells.cells_feature_collection(area[:2], [{"count": 3}, {"count": 0}])
    assert collection["type"] == "FeatureCollection"
    first = collection["features"][0]
    assert first["properties"] == {"cell": h3int.int_to_str(int(area[0])), "count": 3}
    assert first["geometry"]["type"] == "Polygon"
