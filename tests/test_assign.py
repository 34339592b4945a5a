"""Points to grids: covering grid, shared-edge tie rule, nearest fallback, max distance, levels."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo import schema as s
from geo.assign import assign_points, point_grids_table
from geo.errors import CRSMismatchError, MissingCRSError

UTM = "EPSG:32648"
X0, Y0 = 400_000.0, 3_390_000.0


def _grids(boxes: dict[str, tuple[float, float, float, float]], crs: str = UTM) -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes.values()]
    return gpd.GeoDataFrame({s.CODE: list(boxes)}, geometry=geoms, crs=crs)


def _points(xy: list[tuple[float, float] | None], crs: str = UTM, index=None) -> gpd.GeoDataFrame:
    geoms = [None if p is None else shapely.Point(X0 + p[0], Y0 + p[1]) for p in xy]
    return gpd.GeoDataFrame({"pid": [f"p{i}" for i in range(len(xy))]}, geometry=geoms, crs=crs, index=index)


# two 100 m squares side by side; codes deliberately not in x order
TWO = {"B": (0, 0, 100, 100), "A": (100, 0, 200, 100)}


@pytest.mark.parametrize("tree_on", ["grids", "points", "auto"])
def test_assign_points__inside_one_grid(tree_on):
    res = assign_points(_points([(50, 50), (150, 50)]), _grids(TWO), id_col="pid", tree_on=tree_on)
    assert res[s.GRID_CODE].tolist() == ["B", "A"]
    assert res[s.METHOD].tolist() == ["within", "within"]
    assert res[s.DISTANCE_M].tolist() == [0.0, 0.0]
    assert not res["tie"].any()


@pytest.mark.parametrize("tree_on", ["grids", "points"])
def test_assign_points__on_shared_edge_smallest_code_wins_and_is_a_tie(tree_on):
    res = assign_points(_points([(100, 50)]), _grids(TWO), id_col="pid", tree_on=tree_on)
    row = res.iloc[0]
    assert row[s.GRID_CODE] == "A"  # "A" < "B" in string order
    assert bool(row["tie"]) and row["tie_with"] == "B"


def test_assign_points__on_shared_corner_lists_every_other_grid():
    four = {"d": (0, 0, 10, 10), "c": (10, 0, 20, 10), "b": (0, 10, 10, 20), "a": (10, 10, 20, 20)}
    row = assign_points(_points([(10, 10)]), _grids(four), id_col="pid").iloc[0]
    assert (row[s.GRID_CODE], row["tie_with"]) == ("a", "b;c;d")


def test_assign_points__outside_goes_to_nearest_within_max_distance():
    res = assign_points(_points([(250, 50), (-30, 50)]), _grids(TWO), id_col="pid", max_distance_m=100)
    assert res[s.GRID_CODE].tolist() == ["A", "B"]
    assert res[s.METHOD].tolist() == ["nearest", "nearest"]
    assert res[s.DISTANCE_M].tolist() == pytest.approx([50.0, 30.0])


def test_assign_points__beyond_max_distance_is_unassigned_with_its_distance():
    row = assign_points(_points([(500, 50)]), _grids(TWO), id_col="pid", max_distance_m=100).iloc[0]
    assert pd.isna(row[s.GRID_CODE]) and pd.isna(row[s.METHOD])
    assert row[s.DISTANCE_M] == pytest.approx(300.0)
    assert row[s.REASON] == "beyond_max_distance"


def test_assign_points__equidistant_nearest_is_a_tie_won_by_smallest_code():
    grids = _grids({"Z": (0, 0, 100, 100), "Y": (200, 0, 300, 100)})
    row = assign_points(_points([(150, 50)]), grids, id_col="pid").iloc[0]
    assert (row[s.GRID_CODE], row[s.METHOD], bool(row["tie"]), row["tie_with"]) == ("Y", "nearest", True, "Z")


def test_assign_points__no_coordinates_reported_and_others_assigned():
    res = assign_points(_points([None, (50, 50)]), _grids(TWO), id_col="pid")
    assert res[s.REASON].iloc[0] == "no_coordinates" and pd.isna(res[s.GRID_CODE].iloc[0])
    assert res[s.GRID_CODE].iloc[1] == "B"


def test_assign_points__grid_without_geometry_is_ignored():
    grids = _grids(TWO)
    grids.loc[grids[s.CODE] == "A", "geometry"] = None
    res = assign_points(_points([(100, 50)]), grids, id_col="pid")
    assert res[s.GRID_CODE].iloc[0] == "B" and not res["tie"].iloc[0]


def test_assign_points__keeps_input_index_and_does_not_mutate():
    pts = _points([(50, 50), (150, 50)], index=[10, 7])
    before = pts.copy()
    res = assign_points(pts, _grids(TWO), id_col="pid")
    assert res.index.tolist() == [10, 7]
    pd.testing.assert_frame_equal(pts, before)


def test_assign_points__missing_or_different_crs_raises():
    with pytest.raises(CRSMismatchError) as err:
        assign_points(_points([(0, 0)]).to_crs(s.STORAGE_CRS), _grids(TWO), id_col="pid")
    assert err.value.code == "assign.crs_mismatch"
    with pytest.raises(MissingCRSError):
        assign_points(_points([(0, 0)]).set_crs(None, allow_override=True), _grids(TWO), id_col="pid")


def _random_grid_layer(rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    seeds = shapely.multipoints(rng.uniform(0, 5000, (n, 2)) + [X0, Y0])
    frame = shapely.box(X0, Y0, X0 + 5000, Y0 + 5000)
    polys = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    return gpd.GeoDataFrame({s.CODE: [f"G{i:03d}" for i in range(len(polys))]}, geometry=polys, crs=UTM)


def test_assign_points__tree_sides_agree_with_a_plain_python_reference():
    rng = np.random.default_rng(1)
    grids = _random_grid_layer(rng, 30)
    pts = gpd.GeoDataFrame({"pid": range(300)}, geometry=shapely.points(rng.uniform(0, 5000, (300, 2)) + [X0, Y0]),
                           crs=UTM)
    expected = [min(c for c, g in zip(grids[s.CODE], grids.geometry) if g.covers(p)) for p in pts.geometry]
    for side in ("grids", "points"):
        assert assign_points(pts, grids, id_col="pid", tree_on=side)[s.GRID_CODE].tolist() == expected


def test_assign_points__nearest_in_wgs84_matches_metric_brute_force():
    rng = np.random.default_rng(2)
    grids = _random_grid_layer(rng, 40)
    outside = rng.uniform(-3000, 8000, (400, 2))
    outside = outside[~((outside >= 0) & (outside <= 5000)).all(axis=1)] + [X0, Y0]
    pts = gpd.GeoDataFrame({"pid": range(len(outside))}, geometry=shapely.points(outside), crs=UTM)
    res = assign_points(pts.to_crs(s.STORAGE_CRS), grids.to_crs(s.STORAGE_CRS), id_col="pid")
    # reference: all distances in UTM 48N from the same WGS 84 data
    grids_m = grids.to_crs(s.STORAGE_CRS).to_crs(UTM)
    pts_m = pts.to_crs(s.STORAGE_CRS).to_crs(UTM)
    dist = shapely.distance(np.asarray(pts_m.geometry.values)[:, None], np.asarray(grids_m.geometry.values)[None, :])
    assert (res[s.METHOD] == "nearest").all()
    assert res[s.DISTANCE_M].to_numpy() == pytest.approx(dist.min(axis=1), abs=1e-6)
    assert res[s.GRID_CODE].tolist() == grids[s.CODE].to_numpy()[dist.argmin(axis=1)].tolist()


def test_point_grids_table__every_level_of_the_tiny_project(tiny_project):
    table = point_grids_table(tiny_project.layers, max_distance_m=100)
    levels = set(table[s.LEVEL])
    assert levels == {"micro", "general", "community", "town"}
    assert set(table["layer"]) == {s.SERVICE_POINTS, s.VOLUNTEERS}
    # 4 service points + 9 volunteers, at 4 levels each, exactly once
    assert len(table) == (4 + 9) * 4
    assert not table.duplicated(["layer", s.POINT_ID, s.LEVEL]).any()
    outside = table[(table[s.POINT_ID] == "V000") & (table[s.LEVEL] == "town")].iloc[0]
    assert (outside[s.GRID_CODE], outside[s.METHOD]) == ("510184001000", "nearest")
    assert outside[s.DISTANCE_M] == pytest.approx(50.0, abs=0.01)
    # service points at a community centre sit on the corner of 4 micro-grids: a reported tie
    micro = table[(table["layer"] == s.SERVICE_POINTS) & (table[s.LEVEL] == "micro")]
    assert micro["tie"].all() and micro[s.GRID_CODE].str.endswith("-G1-M1").all()


def test_point_grids_table__household_layer_uses_its_code_column(tiny_project):
    hh = gpd.GeoDataFrame({s.CODE: ["H1"], s.HOUSEHOLDS_N: [3]},
                          geometry=[shapely.Point(X0 + 1250, Y0 + 250)], crs=UTM).to_crs(s.STORAGE_CRS)
    layers = {**tiny_project.layers, s.HOUSEHOLDS: hh}
    table = point_grids_table(layers, layers=[s.HOUSEHOLDS])
    got = dict(zip(table[s.LEVEL], table[s.GRID_CODE]))
    assert got == {"micro": "510184001002-G1-M1", "general": "510184001002-G1", "community": "510184001002",
                   "town": "510184001000"}


def test_assign_points__metric_distance_uses_utm_not_degrees():
    # 1 km east of a grid edge, in WGS 84 input: the distance must be metres, not degrees
    grids = _grids({"A": (0, 0, 100, 100)}).to_crs(s.STORAGE_CRS)
    pts = _points([(1100, 50)]).to_crs(s.STORAGE_CRS)
    res = assign_points(pts, grids, id_col="pid")
    assert res[s.DISTANCE_M].iloc[0] == pytest.approx(1000.0, abs=0.5)
    assert pyproj.CRS(s.METRIC_CRS).is_projected


def test_assign_points__blocks_of_points_change_nothing__ties_and_fallback_across_block_edges(monkeypatch):
    """The covering step runs ``BLOCK_POINTS`` points at a time: a tiny block size (ties, points
    outside and points without coordinates on block edges) gives the one-pass table."""
    import geo.assign as assign

    rng = np.random.default_rng(3)
    grids = _random_grid_layer(rng, 25)
    corners = shapely.get_coordinates(grids.geometry.values)[::7]  # shared vertices: ties
    xy = [tuple(p - [X0, Y0]) for p in np.vstack([rng.uniform(-500, 5500, (60, 2)) + [X0, Y0], corners])]
    pts = _points([None if i % 17 == 0 else p for i, p in enumerate(xy)])
    one_pass = assign_points(pts, grids, id_col="pid", max_distance_m=300, tree_on="points")
    assert one_pass["tie"].any() and one_pass[s.METHOD].eq("nearest").any()
    assert one_pass[s.REASON].eq("no_coordinates").any() and one_pass[s.REASON].eq("beyond_max_distance").any()
    monkeypatch.setattr(assign, "BLOCK_POINTS", 4)
    pd.testing.assert_frame_equal(assign_points(pts, grids, id_col="pid", max_distance_m=300), one_pass)


def test_assign_points__leaves_the_grids_unprepared_as_given():
    grids = _grids(TWO)
    assign_points(_points([(50, 50)]), grids, id_col="pid")
    assert not shapely.is_prepared(grids.geometry.values).any()
    shapely.prepare(grids.geometry.values)
    assign_points(_points([(50, 50)]), grids, id_col="pid")
    assert shapely.is_prepared(grids.geometry.values).all()


def test_place_points__grid_positions_are_rows_of_the_layer_given__null_rows_skipped():
    from geo.assign import place_points

    grids = _grids({"C": (0, 0, 10, 10), "B": (0, 0, 100, 100), "A": (100, 0, 200, 100)})
    grids.loc[0, "geometry"] = None
    placed = place_points(_points([(150, 50), (50, 50), (900, 50), None]), grids, max_distance_m=100)
    assert placed.grid.tolist() == [2, 1, -1, -1]
    assert placed.method.tolist() == ["within", "within", None, None]
    assert placed.reason.tolist() == [None, None, "beyond_max_distance", "no_coordinates"]


def test_covering_grids__is_place_points_before_the_nearest_fallback():
    from geo.assign import covering_grids, place_points

    grids = _grids({"C": (0, 0, 10, 10), "B": (0, 0, 100, 100), "A": (100, 0, 200, 100)})
    grids.loc[0, "geometry"] = None
    points = _points([(150, 50), (100, 50), (50, 50), (900, 50), (230, 50), None])
    covering = covering_grids(points, grids)
    placed = place_points(points, grids, max_distance_m=100)
    within = placed.method == "within"
    assert covering.outside.tolist() == np.flatnonzero(~within).tolist() == [3, 4, 5]
    assert covering.grid.tolist() == [2, 2, 1, -1, -1, -1]  # rows of the layer; on the edge: the smaller code, A
    assert covering.grid[within].tolist() == placed.grid[within].tolist()
    assert covering.tie.tolist() == [False, True, False, False, False, False] and covering.tie_with[1] == "B"


def test_covering_grids__no_usable_grid_leaves_every_point_outside():
    from geo.assign import covering_grids

    grids = _grids({"A": (0, 0, 10, 10)})
    grids.loc[0, "geometry"] = None
    covering = covering_grids(_points([(5, 5), None]), grids)
    assert covering.grid.tolist() == [-1, -1] and covering.outside.tolist() == [0, 1]


def test_assign_points__constant_columns_hold_one_text_object__not_one_per_row():
    # np.full(n, "within", dtype=object) makes a new str per row (~450 MB on the city's 8 M points)
    grids = _grids({"B": (0, 0, 100, 100), "A": (100, 0, 200, 100)})
    res = assign_points(_points([(50, 50), (150, 50), (60, 40)]), grids, id_col="pid")
    assert len({id(v) for v in res[s.METHOD]}) == 1
    assert len({id(v) for v in res["tie_with"]}) == 1


@pytest.mark.parametrize("text", ["households", "社区", ""])
@pytest.mark.parametrize("rows", [0, 5, 1 << 16, (1 << 17) + 3])
def test_point_grid_rows__layer_and_level_columns_equal_an_inserted_scalar(text, rows):
    from geo.assign import _repeated_text

    frame = pd.DataFrame({"x": np.arange(rows)}, index=pd.RangeIndex(10, 10 + rows))
    frame.insert(0, "inserted", text)
    got = _repeated_text(text, frame.index)
    pd.testing.assert_series_equal(got, frame["inserted"], check_names=False)
    assert got.iloc[-3:].tolist() == frame["inserted"].iloc[-3:].tolist()
    assert (got == text).all() and got.take([rows - 1] if rows else []).tolist() == ([text] if rows else [])


def test_place_points__two_threads_on_the_same_grids_at_once_give_the_same_answer():
    # the app's background roll-up and a page's roll-up place points on one project's grids at once; GEOS
    # prepares the grids in place, and one thread un-preparing them under the other crashed the process
    from concurrent.futures import ThreadPoolExecutor

    from geo.assign import place_points

    rng = np.random.default_rng(3)
    grids = _grids({f"G{i:03d}": (i % 20 * 50.0, i // 20 * 50.0, i % 20 * 50.0 + 50, i // 20 * 50.0 + 50)
                    for i in range(400)})
    grids["geometry"] = grids.geometry.buffer(0, quad_segs=16).segmentize(2.0)  # many vertices: slow to prepare
    xy = rng.uniform(0, 1000, size=(60_000, 2))
    points = _points([tuple(p) for p in xy])
    expected = place_points(points, grids).grid
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: place_points(points, grids).grid, range(8)))
    assert all(np.array_equal(run, expected) for run in runs)


def test_bulk_work__the_collector_comes_back_when_the_last_bulk_work_in_any_thread_ends():
    import gc
    import threading

    from geo.assign import bulk_work

    assert gc.isenabled()
    first_in, second_out = threading.Event(), threading.Event()
    seen = []

    def first() -> None:
        with bulk_work():
            first_in.set()
            second_out.wait(5)
            seen.append(gc.isenabled())  # the other thread's pause ended first: still off for this one

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    with bulk_work():
        assert not gc.isenabled()
    second_out.set()
    t.join()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with bulk_work():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


def _huge_page_advice() -> bool:
    from geo.assign import _set_huge_page_advice

    before = _set_huge_page_advice(True)
    _set_huge_page_advice(before)
    return before


def test_bulk_work__numpy_asks_for_no_huge_pages_inside_and_as_before_after():
    from geo.assign import _set_huge_page_advice, bulk_work

    original = _huge_page_advice()
    for before in (True, False):
        _set_huge_page_advice(before)
        try:
            with bulk_work():
                with bulk_work():
                    assert _huge_page_advice() is False
                assert _huge_page_advice() is False  # the outer bulk work still runs
            assert _huge_page_advice() is before
        finally:
            _set_huge_page_advice(original)
