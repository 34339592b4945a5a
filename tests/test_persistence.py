"""Safe persistence: a save killed at any moment leaves the previous or the new state; saves write in place."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import schema as s
from geo.edits import add_volunteer
from geo.errors import ProjectFileError
from geo.history import clean_stale_temp_files
from geo.project import Project, load_project, save_project
from geo.store.gpkg import write_whole_file
from tests.factories import tiny_project
from tests.test_store_contract import run_two_editors

ROOT = Path(__file__).resolve().parents[1]

# The child loads the project once, then adds one assignment per save through save_edits
# and prints the number of saves finished. Assignments and audit rows must always match.
CHILD = textwrap.dedent("""
    import sys
    from geo import schema as s
    from geo.edits import add_volunteer
    from geo.history import save_edits
    from geo.project import load_project
    path = sys.argv[1]
    project = load_project(path)
    vols = project.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID].tolist()
    grid = project.layer(s.GRIDS)[s.CODE].iloc[0]
    n = len(project.table(s.ASSIGNMENTS))
    while True:
        edit = add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=vols[n], grid_code=grid, user="kill")
        project = save_edits(path, project, [edit.record]).project
        n += 1
        print(n, flush=True)
""")


def _large_project(n_grids: int, n_vols: int):
    """The tiny project plus many square grids and volunteers (a save takes a noticeable time)."""
    rng = np.random.default_rng(7)
    project = tiny_project()
    side = int(np.ceil(np.sqrt(n_grids)))
    boxes = [shapely.box(104.0 + i % side * 0.001, 30.5 + i // side * 0.001, 104.001 + i % side * 0.001,
                         30.501 + i // side * 0.001) for i in range(n_grids)]
    grids = gpd.GeoDataFrame({s.CODE: [f"G{i:05d}" for i in range(n_grids)], s.NAME: "网格",
                              s.LEVEL: s.LEVEL_GENERAL}, geometry=boxes, crs=s.STORAGE_CRS)
    pts = shapely.points(104 + rng.random(n_vols) * 0.1, 30.5 + rng.random(n_vols) * 0.1)
    vols = gpd.GeoDataFrame({s.VOLUNTEER_ID: [f"X{i:05d}" for i in range(n_vols)], s.NAME: "某某",
                             s.CAPACITY: 1}, geometry=pts, crs=s.STORAGE_CRS)
    project = project.with_layer(s.GRIDS, grids).with_layer(s.VOLUNTEERS, vols)
    return project.with_table(s.ASSIGNMENTS, pd.DataFrame({c: pd.Series(dtype=object)
                                                          for c in s.ASSIGNMENT_COLUMNS}))


def _check_file(path: Path, printed: int) -> int:
    project = load_project(path)  # never a broken file
    n = len(project.table(s.ASSIGNMENTS))
    assert n in (printed, printed + 1), (n, printed)  # the last finished save, or the one just done
    audit = project.table(s.AUDIT)
    assert (audit["action"] != "save").sum() == n  # edit rows land in the same atomic save
    assert (audit["action"] == "save").sum() == project.revision == n + 1  # and each save's own row
    return n


def _kill_saves(path: Path, *, iterations: int, seed: int, delay_s: tuple[float, float]) -> list[int]:
    """Start the saving child, SIGKILL it after a seeded random delay, check the file; repeat."""
    rng = random.Random(seed)
    counts = []
    for _ in range(iterations):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        time.sleep(rng.uniform(*delay_s))  # the child needs ~2-3 s to import and load before saving
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        printed = int(out.split()[-1]) if out.split() else _count(path)
        counts.append(_check_file(path, printed))
    return counts


def _count(path: Path) -> int:
    return len(load_project(path).table(s.ASSIGNMENTS))


@pytest.mark.slow
def test_save_killed__tiny_project_always_readable(tmp_path):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project(), path)
    counts = _kill_saves(path, iterations=3, seed=1, delay_s=(1.0, 4.0))
    assert counts == sorted(counts)  # never lost a finished save


@pytest.mark.slow
def test_save_killed__large_project_at_random_points(tmp_path):
    path = tmp_path / "large.gpkg"
    save_project(_large_project(3000, 2000), path)
    counts = _kill_saves(path, iterations=6, seed=20240501, delay_s=(2.5, 8.0))
    assert counts == sorted(counts)
    assert counts[-1] > 0  # some saves did complete between kills


def test_clean_stale_temp_files__removes_only_old_leftovers(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    old = tmp_path / ".p.abc.tmp.gpkg"
    fresh = tmp_path / ".p.def.tmp.gpkg"
    for f in (old, fresh):
        f.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert clean_stale_temp_files(path) == [old]
    assert fresh.exists() and load_project(path).revision == 1


# --- the GeoPackage store: in-place saves that GDAL still reads ----------------------------------------------
def _fids(path: Path, table: str) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(f'SELECT fid FROM "{table}" ORDER BY fid')]


def _edited(project, volunteer_id: str = "NEW-1"):
    grid = project.layer(s.GRIDS)[s.CODE].iloc[0]
    edit = add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=volunteer_id, grid_code=grid, user="t")
    return project.with_table(s.ASSIGNMENTS, edit.table), grid


def test_gpkg_save__edit_touches_only_the_changed_table(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    project = load_project(path)
    before = {name: _fids(path, name) for name in project.layers}
    edited, grid = _edited(project)
    save_project(edited, path, expected_revision=project.revision)
    assert {name: _fids(path, name) for name in project.layers} == before  # no layer rewritten
    with sqlite3.connect(path) as conn:
        changes = conn.execute("SELECT unit, table_name FROM gridatlas_changes WHERE revision = 2").fetchall()
    community = project.layer(s.GRIDS).set_index(s.CODE).loc[grid, s.COMMUNITY_CODE]
    assert changes == [(community, s.ASSIGNMENTS)]


def test_gpkg_save__every_layer_still_reads_in_gdal_after_incremental_saves(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    project = load_project(path)
    for i in range(3):
        project, _ = _edited(project, f"NEW-{i}")
        vols = project.layer(s.VOLUNTEERS)
        moved = vols.geometry.translate(xoff=0.001 * (i + 1))
        project = save_project(project.with_layer(s.VOLUNTEERS, vols.set_geometry(moved)), path,
                               expected_revision=project.revision)
    with sqlite3.connect(path) as conn:
        counts = dict(conn.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents"))
    for name, _ in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=name)
        assert len(df) == counts[name], name  # the feature-count triggers kept up
        if name in project.layers:
            assert len(df) == len(project.layer(name))
    box = project.layer(s.VOLUNTEERS).total_bounds
    box = (box[0], box[1], (box[0] + box[2]) / 2, box[3])
    via_rtree = pyogrio.read_dataframe(path, layer=s.VOLUNTEERS, bbox=box)  # GDAL filters through the R-tree
    want = project.layer(s.VOLUNTEERS)
    want = want[want.intersects(shapely.box(*box))]
    assert sorted(via_rtree[s.VOLUNTEER_ID]) == sorted(want[s.VOLUNTEER_ID]) and 0 < len(want) < len(project.layer(
        s.VOLUNTEERS))
    with sqlite3.connect(path) as conn:
        rtree_n = conn.execute("SELECT count(*) FROM rtree_volunteers_geom").fetchone()[0]
    assert rtree_n == len(project.layer(s.VOLUNTEERS))


def test_gpkg_save__legacy_file_is_written_whole_once_then_in_place(tmp_path):
    path = tmp_path / "legacy.gpkg"
    old = tiny_project().with_meta(revision=4)
    write_whole_file(old, path)  # as GridAtlas wrote every save before the store
    project = load_project(path)
    first = save_project(project, path, expected_revision=4)
    assert first.revision == 5
    grids_fids = _fids(path, s.GRIDS)
    edited, _ = _edited(load_project(path))
    save_project(edited, path, expected_revision=5)
    assert _fids(path, s.GRIDS) == grids_fids
    assert "NEW-1" in set(load_project(path).table(s.ASSIGNMENTS)[s.VOLUNTEER_ID])


def test_gpkg_save__project_rebuilt_from_frames_is_diffed_against_the_file(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    disk = load_project(path)
    edited, _ = _edited(disk)
    rebuilt = Project(layers=dict(edited.layers), tables=dict(edited.tables), meta=dict(edited.meta))  # no snapshot
    grids_fids = _fids(path, s.GRIDS)
    save_project(rebuilt, path, expected_revision=disk.revision)
    assert _fids(path, s.GRIDS) == grids_fids
    assert "NEW-1" in set(load_project(path).table(s.ASSIGNMENTS)[s.VOLUNTEER_ID])


@pytest.mark.slow
def test_gpkg_concurrent_editors__20_pairs_different_communities_and_same_grid(tmp_path):
    path = tmp_path / "p.gpkg"
    base = save_project(tiny_project(), path)
    grids = base.layer(s.GRIDS)
    by_comm = grids.groupby(s.COMMUNITY_CODE)[s.CODE].first()
    conflicts = run_two_editors(str(path), tmp_path / "diff", grid_a=by_comm.iloc[0], grid_b=by_comm.iloc[1],
                                pairs=20)
    assert conflicts == (0, 0)
    after = load_project(path).table(s.ASSIGNMENTS)
    assert {f"{n}-{i:03d}" for n in "AB" for i in range(20)} == set(after[s.VOLUNTEER_ID])  # 0 lost edits
    a, b = run_two_editors(str(path), tmp_path / "same", grid_a=by_comm.iloc[2], grid_b=by_comm.iloc[2], pairs=20)
    assert a + b == 20  # every pair: the second saver is told, reloads and redoes
    after = load_project(path).table(s.ASSIGNMENTS)
    assert len(after) == 80 and after.groupby(s.VOLUNTEER_ID).size().max() == 2  # 0 lost, none doubled


@pytest.mark.parametrize(("content", "code"), [
    (None, "file_not_found"),  # no file at all
    (b"not a database at all", "project_file.not_gpkg"),  # some other file named .gpkg
    ("gpkg-without-meta", "project_file.no_meta"),  # a GeoPackage, but not a GridAtlas project
])
def test_gpkg_load__unusable_files_raise_project_file_errors(tmp_path, content, code):
    path = tmp_path / "p.gpkg"
    if isinstance(content, bytes):
        path.write_bytes(content * 100)
    elif content:
        pyogrio.write_dataframe(tiny_project().layer(s.TOWNS), path, layer=s.TOWNS, driver="GPKG")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.code == code


def test_gpkg_save__new_layer_and_changed_columns_are_written_as_gdal_would(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    project = load_project(path)
    comms = project.layer(s.COMMUNITIES)
    points = gpd.GeoDataFrame({s.CODE: [f"H{i}" for i in range(len(comms))], s.HOUSEHOLDS_N: 40},
                              geometry=comms.geometry.representative_point(), crs=s.STORAGE_CRS)
    grids = project.layer(s.GRIDS).assign(note="备注", **{s.HOUSEHOLDS_N: 40.5})  # a new column, int -> float
    vols = project.layer(s.VOLUNTEERS)
    squares = gpd.GeoSeries(shapely.box(vols.geometry.x - 5e-4, vols.geometry.y - 5e-4, vols.geometry.x + 5e-4,
                                        vols.geometry.y + 5e-4), index=vols.index, crs=s.STORAGE_CRS)
    vols = vols.set_geometry(squares)  # points -> polygons: the column type changes
    changed = project.with_layer(s.HOUSEHOLDS, points).with_layer(s.GRIDS, grids).with_layer(s.VOLUNTEERS, vols)
    save_project(changed, path, expected_revision=project.revision)
    for name, want in ((s.HOUSEHOLDS, points), (s.GRIDS, grids), (s.VOLUNTEERS, vols)):
        got = pyogrio.read_dataframe(path, layer=name)
        assert len(got) == len(want) and got.crs == s.STORAGE_CRS, name
        assert shapely.equals_exact(np.asarray(got.geometry.values), np.asarray(want.geometry.values), 1e-9).all()
    got = pyogrio.read_dataframe(path, layer=s.GRIDS)
    assert (got["note"] == "备注").all() and (got[s.HOUSEHOLDS_N] == 40.5).all()
    box = points.geometry.iloc[0].buffer(1e-4).bounds
    assert pyogrio.read_dataframe(path, layer=s.HOUSEHOLDS, bbox=box)[s.CODE].tolist() == ["H0"]  # new R-tree
    with sqlite3.connect(path) as conn:
        types = dict(conn.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"))
    assert types[s.VOLUNTEERS] == "POLYGON" and types[s.HOUSEHOLDS] == "POINT"
