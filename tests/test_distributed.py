"""Assignment and coverage on Dask (geo.distributed) equal the single-process path, ties and fallbacks included."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.assign import point_grids_table
from geo.citygen import household_files, load_city_project
from geo.coverage import service_reach
from geo.assign import level_units
from geo.distributed import (UnitPack, check_scheduler, hilbert_parts, point_grids_table_dask, service_reach_dask,
                             task_points)
from geo.errors import GeoInputError
from geo.messages import error_text
from tests.factories import SMALL_CITY_SCALE
from tests.fieldkit import fieldkit_project

SCALE = SMALL_CITY_SCALE  # the city the session-wide `city_root` fixture builds (tests/conftest.py)
FEW_HOUSEHOLDS = 6000  # the first town's households: fast, still with points on shared corners
FEW_VOLUNTEERS = 2000  # still with homes outside the city (nearest-grid fallback)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def city(city_root):
    project = load_city_project(scale=SCALE, root=city_root)
    return project.with_layer(s.HOUSEHOLDS, project.layer(s.HOUSEHOLDS).iloc[:FEW_HOUSEHOLDS]) \
        .with_layer(s.VOLUNTEERS, project.layer(s.VOLUNTEERS).iloc[:FEW_VOLUNTEERS])


def _on_edges(project) -> gpd.GeoDataFrame:
    """Service points exactly on shared grid edges and corners, one just outside, one far, one without coordinates."""
    micro = project.layer(s.GRIDS)
    micro = micro[micro[s.LEVEL] == s.LEVEL_MICRO]
    a, b = shapely.STRtree(micro.geometry.values).query(micro.geometry.values, predicate="touches")
    shared = shapely.intersection(micro.geometry.values[a[a < b][:40]], micro.geometry.values[b[a < b][:40]])
    corners = shapely.get_coordinates(shared)[::3]
    minx, miny, maxx, maxy = micro.total_bounds
    xy = np.vstack([corners, [[maxx + 0.001, (miny + maxy) / 2], [maxx + 0.05, (miny + maxy) / 2]]])
    geoms = list(shapely.points(xy)) + [None]
    return gpd.GeoDataFrame({s.POINT_ID: [f"E{i:03d}" for i in range(len(geoms))], s.NAME: "edge",
                             s.POINT_TYPE: "社区工作站"}, geometry=geoms, crs=s.STORAGE_CRS)


@pytest.fixture(scope="module")
def fieldkit():
    project = fieldkit_project(general_grids=True)
    points = project.layer(s.SERVICE_POINTS)
    both = pd.concat([points, _on_edges(project)], ignore_index=True)
    return project.with_layer(s.SERVICE_POINTS, gpd.GeoDataFrame(both, crs=s.STORAGE_CRS))


def test_point_grids_dask__equals_single_process__field_kit_with_points_on_shared_edges(fieldkit, client):
    expected = point_grids_table(fieldkit.layers, max_distance_m=500)
    assert expected["tie"].sum() > 0 and (expected[s.METHOD] == "nearest").sum() > 0
    assert expected[s.REASON].eq("beyond_max_distance").any() and expected[s.REASON].eq("no_coordinates").any()
    got = point_grids_table_dask(fieldkit.layers, scheduler=client, max_distance_m=500, npartitions=5)
    pd.testing.assert_frame_equal(got, expected)


def test_point_grids_dask__equals_single_process__city(city, client):
    expected = point_grids_table(city.layers, max_distance_m=5000)
    assert expected["tie"].sum() > 0 and (expected[s.METHOD] == "nearest").sum() > 0
    got = point_grids_table_dask(city.layers, scheduler=client, max_distance_m=5000)
    pd.testing.assert_frame_equal(got, expected)


def test_point_grids_dask__units_sent_once_per_client_while_they_stay_the_same(fieldkit, client):
    from geo.distributed import SHARED_ATTR

    expected = point_grids_table(fieldkit.layers, max_distance_m=500)
    first = point_grids_table_dask(fieldkit.layers, scheduler=client, max_distance_m=500, npartitions=3)
    kept = getattr(client, SHARED_ATTR)
    again = point_grids_table_dask(fieldkit.layers, scheduler=client, max_distance_m=500, npartitions=3)
    assert getattr(client, SHARED_ATTR)[1] is kept[1]  # the same units: not sent again
    pd.testing.assert_frame_equal(first, expected)
    pd.testing.assert_frame_equal(again, expected)
    grids = fieldkit.layer(s.GRIDS).copy()
    grids[s.CODE] = grids[s.CODE].astype(str) + "x"  # other units: sent, and used
    edited = fieldkit.with_layer(s.GRIDS, grids)
    got = point_grids_table_dask(edited.layers, scheduler=client, max_distance_m=500, npartitions=3)
    assert getattr(client, SHARED_ATTR)[0] != kept[0]
    pd.testing.assert_frame_equal(got, point_grids_table(edited.layers, max_distance_m=500))


def test_point_grids_dask__threads_scheduler_and_one_partition(fieldkit):
    expected = point_grids_table(fieldkit.layers, layers=(s.SERVICE_POINTS,))
    for n in (1, 7):
        got = point_grids_table_dask(fieldkit.layers, scheduler="threads", layers=(s.SERVICE_POINTS,), npartitions=n)
        pd.testing.assert_frame_equal(got, expected)


def test_point_grids_dask__household_files_read_by_workers(city_root, client):
    grids = load_city_project(scale=SCALE, root=city_root, households=False).layer(s.GRIDS)
    files = household_files(scale=SCALE, root=city_root)[1:2]
    households = gpd.GeoDataFrame(pd.concat([gpd.read_parquet(f) for f in files]), crs=s.STORAGE_CRS)
    expected = point_grids_table({s.GRIDS: grids, s.HOUSEHOLDS: households}, layers=(s.HOUSEHOLDS,))
    got = point_grids_table_dask({s.GRIDS: grids, s.HOUSEHOLDS: files}, scheduler=client, layers=(s.HOUSEHOLDS,))
    pd.testing.assert_frame_equal(got, expected)


def _located(project):
    """Without the service point that has no coordinates (the reference ``service_reach`` cannot take it)."""
    points = project.layer(s.SERVICE_POINTS)
    return project.with_layer(s.SERVICE_POINTS, points[points.geometry.notna()])


def test_service_reach_dask__equals_single_process__field_kit(fieldkit, client):
    fieldkit = _located(fieldkit)
    expected = service_reach(fieldkit, radii_m=[300, 1000])
    got = service_reach_dask(fieldkit, scheduler=client, radii_m=[300, 1000])
    pd.testing.assert_frame_equal(got, expected)


def test_service_reach_dask__equals_single_process__city(city, client):
    expected = service_reach(city, radii_m=[500, 1000], categories=["生活", "群团"])
    assert expected["area_share"].between(0, 1, inclusive="neither").any()  # boundary grids were clipped
    got = service_reach_dask(city, scheduler=client, radii_m=[500, 1000], categories=["生活", "群团"])
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.slow
def test_point_grids_and_reach_dask__process_workers(fieldkit, monkeypatch):
    import sys
    import types

    from distributed import Client, LocalCluster

    # worker processes are spawned and re-run the parent's __main__: in a long pytest session an
    # AppTest may have left a page script there, which must not run in a worker
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        pd.testing.assert_frame_equal(point_grids_table_dask(fieldkit.layers, scheduler=c, max_distance_m=500),
                                      point_grids_table(fieldkit.layers, max_distance_m=500))
        pd.testing.assert_frame_equal(service_reach_dask(_located(fieldkit), scheduler=c, radii_m=[500]),
                                      service_reach(_located(fieldkit), radii_m=[500]))


@pytest.mark.slow
def test_point_grids_dask__equals_single_process__whole_small_city(city_root, client):
    project = load_city_project(scale=SCALE, root=city_root)
    pd.testing.assert_frame_equal(point_grids_table_dask(project.layers, scheduler=client, max_distance_m=5000),
                                  point_grids_table(project.layers, max_distance_m=5000))
    pd.testing.assert_frame_equal(service_reach_dask(project, scheduler=client), service_reach(project))


def test_hilbert_parts__every_row_once_nearby_rows_together(city):
    points = city.layer(s.HOUSEHOLDS)
    parts = hilbert_parts(points, npartitions=4)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(points)))
    areas = [shapely.area(shapely.box(*points.iloc[p].total_bounds)) for p in parts]
    assert max(areas) < shapely.area(shapely.box(*points.total_bounds))


def test_unit_pack_near__the_units_the_spatial_index_finds_with_their_codes_and_geometry(fieldkit):
    levels = level_units(fieldkit.layers)
    pack = UnitPack(levels)
    micro = levels[0][1]
    a, b = micro.geometry.values[0].bounds, micro.geometry.values[1].bounds
    boxes = [np.array(a), np.array([a[2], a[3], a[2] + 1e-4, a[3] + 1e-4]),  # a box touching a corner only
             np.array([min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]), np.full(4, np.nan)]
    for box in boxes:
        for (_, gdf), (sub, rows) in zip(levels, pack.near(box)):
            expected = np.sort(gdf.sindex.query(shapely.box(*box))) if np.isfinite(box).all() else []
            assert rows.tolist() == list(expected)
            assert sub[s.CODE].tolist() == gdf[s.CODE].iloc[rows].tolist()
            assert shapely.equals_exact(sub.geometry.values, gdf.geometry.values[rows], tolerance=0).all()
            assert sub.crs == gdf.crs


def test_unit_pack__decoded_units_are_kept_per_thread_across_packs_of_the_same_units(fieldkit):
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    levels = level_units(fieldkit.layers)
    pack = UnitPack(levels)
    whole = np.array(shapely.total_bounds(levels[0][1].geometry.values))
    first = pack.near(whole)[0][0].geometry.values
    assert pack.near(whole)[0][0].geometry.values[0] is first[0]  # decoded once, kept for the thread's next tasks
    again = UnitPack(levels)  # the next run on the same units (a pack that travelled: the same)
    assert again.token == pack.token == pickle.loads(pickle.dumps(pack)).token
    assert again.near(whole)[0][0].geometry.values[0] is first[0]
    with ThreadPoolExecutor(1) as other:  # another thread its own: GEOS prepares geometries in place
        theirs = other.submit(lambda: pack.near(whole)[0][0].geometry.values).result()
    assert theirs[0] is not first[0] and shapely.equals_exact(theirs, first, tolerance=0).all()
    edited = [(name, gdf.copy()) for name, gdf in levels]
    edited[0][1].geometry.values[0] = shapely.buffer(edited[0][1].geometry.values[0], 1e-5)
    changed = UnitPack(edited)
    assert changed.token != pack.token
    got = changed.near(whole)[0][0].geometry.values
    assert got[0] is not first[0] and shapely.equals_exact(got[0], edited[0][1].geometry.values[0], tolerance=0)
    assert shapely.equals_exact(got[1:], first[1:], tolerance=0).all()


def test_unit_pack_of__the_same_pack_while_the_units_are_the_same_objects_a_new_one_after_an_edit(fieldkit):
    levels = [(name, gdf.copy()) for name, gdf in level_units(fieldkit.layers)]  # copies: edited below
    pack = UnitPack.of(levels)
    assert UnitPack.of([(name, gdf.copy()) for name, gdf in levels]) is pack  # the same objects: not packed again
    assert pack.token == UnitPack(levels).token
    grids = levels[0][1]
    grids.geometry.values[0] = shapely.buffer(grids.geometry.values[0], 1e-5)  # edited in place
    edited = UnitPack.of(levels)
    assert edited is not pack and edited.token == UnitPack(levels).token != pack.token
    recoded = [(name, gdf.assign(**{s.CODE: gdf[s.CODE].astype(str) + "x"})) for name, gdf in levels]
    assert UnitPack.of(recoded).token == UnitPack(recoded).token != edited.token


def test_file_footers__read_again_when_the_file_changes(tmp_path):
    from geo.distributed import parquet_bounds, read_point_files

    path = tmp_path / "part.parquet"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(1, 2)], crs=4326).to_parquet(path)
    assert parquet_bounds(path).tolist() == [1, 2, 1, 2]
    gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[shapely.Point(1, 2), shapely.Point(5, 6)], crs=4326).to_parquet(path)
    assert parquet_bounds(path).tolist() == [1, 2, 5, 6]
    assert len(read_point_files([path])) == 2


def test_read_point_column__the_column_read_point_files_gives(city_root):
    from geo.distributed import read_point_column, read_point_files

    files = household_files(scale=SCALE, root=city_root)[:3]
    got = read_point_column(files, s.CODE)
    expected = read_point_files(files)[s.CODE]
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()


def test_check_scheduler__unknown_name_refused_in_both_languages():
    check_scheduler("threads")
    check_scheduler("tcp://10.0.0.5:8786")
    with pytest.raises(GeoInputError) as err:
        check_scheduler("gpu")
    assert err.value.code == "distributed.bad_scheduler"
    assert "gpu" in error_text(err.value, "zh") and "--scheduler" in error_text(err.value, "en")


def test_service_reach_dask__refuses_duplicate_grid_codes(fieldkit):
    grids = fieldkit.layer(s.GRIDS)
    twice = gpd.GeoDataFrame(pd.concat([grids, grids.iloc[:1]], ignore_index=True), crs=grids.crs)
    with pytest.raises(GeoInputError) as err:
        service_reach_dask(fieldkit.with_layer(s.GRIDS, twice), scheduler="threads")
    assert err.value.code == "distributed.duplicate_grid_codes"


@pytest.mark.slow
def test_cli_scheduler__assign_and_coverage_store_the_same_tables(tiny_project, tmp_path, capsys):
    from cli.main import main
    from geo.project import load_project, save_project

    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    outs = {}
    for name, extra in (("single", []), ("dask", ["--scheduler", "threads"])):
        out = tmp_path / f"{name}.gpkg"
        main(["assign", str(path), "--out", str(out), *extra])
        main(["coverage", str(out), "--radii", "300,500", *extra])
        outs[name] = load_project(out)
    for table in (s.POINT_GRIDS, s.ASSIGNMENTS, s.COVERAGE):
        got, expected = outs["dask"].table(table), outs["single"].table(table)
        pd.testing.assert_frame_equal(got.drop(columns=[s.UPDATED_AT], errors="ignore"),
                                      expected.drop(columns=[s.UPDATED_AT], errors="ignore"))
    capsys.readouterr()
    assert main(["--lang", "en", "coverage", str(path), "--scheduler", "gpu"]) != 0
    assert "Unknown scheduler" in capsys.readouterr().err


def test_coverage_rollup_dask__equals_single_process__field_kit_and_city(fieldkit, city, client):
    from geo.coverage import with_coverage
    from geo.distributed import coverage_rollup_dask
    from geo.rollup import coverage_rollup

    for project in (_located(fieldkit), city):
        measured = with_coverage(project, service_reach(project, radii_m=[500], categories=["生活", "政务"]))
        expected = coverage_rollup(measured)
        assert set(expected["level"]) == {"community", "town", "city"}
        pd.testing.assert_frame_equal(coverage_rollup_dask(measured, scheduler=client), expected)


@pytest.mark.slow
def test_cli_assign__scheduler_processes_runs_the_command_once(tmp_path):
    """Worker processes re-import ``python -m cli``'s main module: it must not run the command again."""
    import subprocess
    import sys
    from pathlib import Path

    from geo.project import save_project
    from tests.factories import tiny_project

    path = tmp_path / "t.gpkg"
    save_project(tiny_project(), path)
    done = subprocess.run([sys.executable, "-m", "cli", "--lang", "en", "assign", str(path), "--scheduler", "processes"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=300,
                          check=False)
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.count("Saved:") == 1


def test_file_groups__consecutive_towns_in_even_groups_of_task_points(city_root):
    import pyarrow.parquet as pq

    from geo.distributed import file_groups

    files = household_files(scale=SCALE, root=city_root)
    rows = [pq.read_metadata(f).num_rows for f in files]
    for threads in (1, 2, 8):
        groups = file_groups(files, threads=threads)
        assert [f for g in groups for f in g] == list(files)  # every file once, in town order
        sizes = [sum(pq.read_metadata(f).num_rows for f in g) for g in groups]
        per_task = task_points(sum(rows), threads=threads)
        assert len(groups) == min(len(files), -(-sum(rows) // per_task))
        assert max(sizes) <= per_task + max(rows) and min(sizes) >= per_task - 2 * max(rows)


def test_task_points__tasks_per_thread_within_the_bounds():
    from geo.distributed import MAX_TASK_POINTS, MIN_TASK_POINTS, TASKS_PER_THREAD

    assert task_points(8_000_000, threads=2) == MAX_TASK_POINTS  # the city: per-task costs amortised
    assert task_points(800_000, threads=2) == 800_000 // (2 * TASKS_PER_THREAD)  # enough tasks to even out
    assert task_points(1_000, threads=2) == MIN_TASK_POINTS
    assert task_points(800_000, threads=0) == task_points(800_000, threads=1)


def test_read_point_files__as_geopandas_reads_them__each_crs_parsed_once(city_root):
    from geo.distributed import _parquet_crs, _process_crs, read_point_files

    files = household_files(scale=SCALE, root=city_root)[:3]
    expected = pd.concat([gpd.read_parquet(f) for f in files])
    _parquet_crs.cache_clear()
    _process_crs.cache_clear()
    got = read_point_files(files)
    pd.testing.assert_frame_equal(got, expected)
    assert got.crs == gpd.read_parquet(files[0]).crs
    assert _process_crs.cache_info().misses == 1  # one parse for three files


def test_read_point_files__chosen_columns__those_and_the_geometry_in_file_order(city_root):
    from geo.distributed import read_point_files

    files = household_files(scale=SCALE, root=city_root)[:3]
    whole = read_point_files(files)
    got = read_point_files(files, columns=[s.CODE])
    assert list(got.columns) == [s.CODE, "geometry"] and got.crs == whole.crs
    assert got[s.CODE].tolist() == whole[s.CODE].tolist()
    assert got.geometry.geom_equals_exact(whole.geometry.reset_index(drop=True), tolerance=0).all()
    assert list(read_point_files(files, columns=[]).columns) == ["geometry"]  # what a Dask task reads
