"""The store contract: what every engine behind ``geo.store.open_store`` does, tested only through ``ProjectStore``.

Parametrised over ``tests.stores.STORE_KINDS`` (GeoPackage; PostGIS is marked ``database``).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.edits import add_volunteer, replace_volunteer
from geo.errors import ConflictError
from geo.messages import t
from geo.project import Project
from geo.store import ProjectStore, open_store
from tests.factories import tiny_project
from tests.fieldkit import fieldkit_project
from tests.stores import STORE_KINDS, make_location

ROOT = Path(__file__).resolve().parents[1]
SAVE_KEYS = ("revision", "saved_at", "gridatlas_version")
KEYS = {s.TOWNS: s.CODE, s.COMMUNITIES: s.CODE, s.GRIDS: s.CODE, s.HOUSEHOLDS: s.CODE, s.VOLUNTEERS: s.VOLUNTEER_ID,
        s.SERVICE_POINTS: s.POINT_ID, s.ASSIGNMENTS: (s.VOLUNTEER_ID, s.GRID_CODE)}


@pytest.fixture(params=STORE_KINDS)
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def location(store_kind, tmp_path) -> str:
    return make_location(store_kind, tmp_path)


def _with_assignments(project: Project) -> Project:
    """The project with one member per grid (volunteers in turn), as a planner's first run leaves it."""
    grids = project.layer(s.GRIDS)[s.CODE].astype(str).tolist()
    vols = project.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID].astype(str).tolist()
    table = project.table(s.ASSIGNMENTS)
    for i, grid in enumerate(grids):
        table = add_volunteer(table, volunteer_id=vols[i % len(vols)], grid_code=grid, user="t", now="2026-01-01").table
    return project.with_table(s.ASSIGNMENTS, table)


def _tiny() -> Project:
    return _with_assignments(tiny_project())


def _grid_of(project: Project, community: str) -> str:
    grids = project.layer(s.GRIDS)
    return str(grids.loc[grids[s.COMMUNITY_CODE] == community, s.CODE].iloc[0])


def _communities(project: Project) -> list[str]:
    return sorted(project.layer(s.COMMUNITIES)[s.CODE].astype(str))


def _sorted(df: pd.DataFrame, name: str) -> pd.DataFrame:
    key = KEYS.get(name)
    cols = [key] if isinstance(key, str) else list(key or [])
    cols = [c for c in cols if c in df.columns] or [c for c in df.columns if c != "geometry"]
    return df.sort_values(cols, kind="stable").reset_index(drop=True)


def _values(column: pd.Series) -> list:
    """Plain values with every kind of missing value as None."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
            for v in column.to_numpy(dtype=object)]


def _assert_same_frame(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    assert sorted(got.columns) == sorted(want.columns), name
    assert len(got) == len(want), name
    got, want = _sorted(got, name), _sorted(want, name)
    for col in want.columns:
        if col == "geometry":
            assert shapely.equals_exact(np.asarray(got.geometry.values), np.asarray(want.geometry.values),
                                        tolerance=1e-9).all(), name
        elif col in s.TEXT_COLUMNS:
            assert got[col].map(lambda v: v is None or isinstance(v, str)).all(), (name, col)  # codes stay text
            assert got[col].tolist() == want[col].astype(object).where(want[col].notna(), None).tolist(), (name, col)
        else:
            assert _values(got[col]) == _values(want[col]), (name, col)


def _assert_round_trip(saved: Project, loaded: Project) -> None:
    assert sorted(loaded.layers) == sorted(saved.layers)
    assert sorted(loaded.tables) == sorted(saved.tables)
    for name, gdf in saved.layers.items():
        assert loaded.layers[name].crs == s.STORAGE_CRS
        _assert_same_frame(loaded.layers[name], gdf, name)
    for name, df in saved.tables.items():
        _assert_same_frame(loaded.tables[name], df, name)
    assert loaded.meta == saved.meta


# --- round trips ---------------------------------------------------------------------------------------
def test_store__is_a_project_store(location):
    store = open_store(location)
    assert isinstance(store, ProjectStore)
    assert not store.exists()


def test_store_round_trip__tiny_project(location):
    store = open_store(location)
    saved = store.save(_tiny(), user="planner")
    assert store.exists() and store.revision() == saved.revision == 1
    _assert_round_trip(saved, store.load())


@pytest.mark.slow
def test_store_round_trip__fieldkit_project(location):
    store = open_store(location)
    saved = store.save(_with_assignments(fieldkit_project(general_grids=True)))
    loaded = store.load()
    _assert_round_trip(saved, loaded)
    assert (loaded.layer(s.GRIDS)[s.CODE].map(type) == str).all()


def test_store_round_trip__second_save_of_unchanged_project_keeps_every_row(location):
    store = open_store(location)
    first = store.save(_tiny())
    again = store.save(store.load(), expected_revision=first.revision)
    assert again.revision == 2
    _assert_round_trip(again, store.load())


# --- incremental edits -------------------------------------------------------------------------------------
def test_store_save__one_replaced_assignment_is_saved(location):
    store = open_store(location)
    store.save(_tiny())
    project = store.load()
    row = project.table(s.ASSIGNMENTS).iloc[3]
    edit = replace_volunteer(project.table(s.ASSIGNMENTS), grid_code=row[s.GRID_CODE], old_id=row[s.VOLUNTEER_ID],
                             new_id="NEW-1", user="t")
    saved = store.save(project.with_table(s.ASSIGNMENTS, edit.table), expected_revision=project.revision)
    loaded = store.load()
    assert loaded.revision == saved.revision == 2
    _assert_same_frame(loaded.table(s.ASSIGNMENTS), edit.table, s.ASSIGNMENTS)


def test_store_save__in_place_change_of_a_frame_is_saved(location):
    store = open_store(location)
    store.save(_tiny())
    project = store.load()
    project.layer(s.GRIDS).loc[2, s.NAME] = "改过的名字"  # mutated in place, no with_layer
    project.layer(s.VOLUNTEERS).loc[0, "geometry"] = shapely.Point(104.0, 30.6)
    store.save(project, expected_revision=project.revision)
    loaded = store.load()
    assert "改过的名字" in loaded.layer(s.GRIDS)[s.NAME].tolist()
    assert shapely.Point(104.0, 30.6) in list(loaded.layer(s.VOLUNTEERS).geometry)


def test_store_save__new_table_meta_and_settings_are_saved(location):
    store = open_store(location)
    store.save(_tiny())
    project = store.load()
    extra = pd.DataFrame({s.GRID_CODE: ["x", "y"], "share": [0.5, 1.0]})
    changed = project.with_table("extra_table", extra).with_settings(coverage_radius_m=777).with_meta(note="备注")
    store.save(changed, expected_revision=project.revision)
    loaded = store.load()
    _assert_same_frame(loaded.table("extra_table"), extra, "extra_table")
    assert loaded.settings["coverage_radius_m"] == 777 and loaded.meta["note"] == "备注"


def test_store_save__removed_rows_are_removed(location):
    store = open_store(location)
    store.save(_tiny())
    project = store.load()
    kept = project.layer(s.VOLUNTEERS).iloc[2:]
    store.save(project.with_layer(s.VOLUNTEERS, kept), expected_revision=project.revision)
    _assert_same_frame(store.load().layer(s.VOLUNTEERS), kept, s.VOLUNTEERS)


# --- partial reads ---------------------------------------------------------------------------------------------
def test_store_load__one_community_reads_only_its_rows(location):
    store = open_store(location)
    whole = store.save(_tiny())
    community = _communities(whole)[1]
    part = store.load(community=community)
    assert part.layer(s.COMMUNITIES)[s.CODE].tolist() == [community]
    assert set(part.layer(s.GRIDS)[s.COMMUNITY_CODE]) == {community}
    grid_codes = set(part.layer(s.GRIDS)[s.CODE])
    assert set(part.table(s.ASSIGNMENTS)[s.GRID_CODE]) <= grid_codes
    assert len(part.table(s.ASSIGNMENTS)) == whole.table(s.ASSIGNMENTS)[s.GRID_CODE].isin(grid_codes).sum() > 0
    assert set(part.layer(s.VOLUNTEERS)[s.COMMUNITY_CODE].dropna()) <= {community}


def test_store_load__some_layers_of_one_town(location):
    store = open_store(location)
    whole = store.save(_tiny())
    town = sorted(whole.layer(s.TOWNS)[s.CODE])[0]
    part = store.load(layers=[s.GRIDS, s.ASSIGNMENTS], town=town)
    assert sorted([*part.layers, *part.tables]) == [s.ASSIGNMENTS, s.GRIDS]
    assert set(part.layer(s.GRIDS)[s.TOWN_CODE]) == {town}


def test_store_read_layer__by_community_bbox_and_columns(location):
    store = open_store(location)
    whole = store.save(_tiny())
    community = _communities(whole)[0]
    grids = store.read_layer(s.GRIDS, community=community, columns=[s.CODE])
    assert set(grids[s.CODE]) == set(whole.layer(s.GRIDS).loc[whole.layer(s.GRIDS)[s.COMMUNITY_CODE] == community,
                                                               s.CODE])
    assert s.NAME not in grids.columns
    box = whole.layer(s.COMMUNITIES).set_index(s.CODE).loc[community].geometry.bounds
    inner = shapely.box(*box).buffer(-1e-4).bounds  # inside the community: no neighbour touches it
    in_box = store.read_layer(s.VOLUNTEERS, bbox=inner)
    want = whole.layer(s.VOLUNTEERS)
    want = want[want.intersects(shapely.box(*inner))]
    assert sorted(in_box[s.VOLUNTEER_ID]) == sorted(want[s.VOLUNTEER_ID]) and len(want) > 0


def test_store_load__one_community_reads_household_points_near_it_only(location):
    store = open_store(location)
    project = _tiny()
    comms = project.layer(s.COMMUNITIES)
    inside = comms.geometry.representative_point()
    far = gpd.GeoSeries([shapely.Point(110.0, 35.0)], crs=s.STORAGE_CRS)
    points = gpd.GeoDataFrame({s.CODE: [f"H{i}" for i in range(len(comms) + 1)], s.HOUSEHOLDS_N: 40},
                              geometry=pd.concat([inside, far], ignore_index=True), crs=s.STORAGE_CRS)
    store.save(project.with_layer(s.HOUSEHOLDS, points))
    part = store.load(community=str(comms[s.CODE].iloc[0]))
    got = set(part.layer(s.HOUSEHOLDS)[s.CODE])
    assert "H0" in got and f"H{len(comms)}" not in got  # the point far away is not read
    assert len(got) < len(points)


def test_store_save__partial_project_never_deletes_rows_it_did_not_load(location):
    store = open_store(location)
    whole = store.save(_tiny())
    community = _communities(whole)[0]
    part = store.load(community=community)
    grid = _grid_of(part, community)
    edit = add_volunteer(part.table(s.ASSIGNMENTS), volunteer_id="P-1", grid_code=grid, user="t")
    store.save(part.with_table(s.ASSIGNMENTS, edit.table), expected_revision=part.revision)
    after = store.load()
    for name in whole.layers:
        assert len(after.layer(name)) == len(whole.layer(name)), name
    assert len(after.table(s.ASSIGNMENTS)) == len(whole.table(s.ASSIGNMENTS)) + 1
    assert ("P-1", grid) in set(zip(after.table(s.ASSIGNMENTS)[s.VOLUNTEER_ID], after.table(s.ASSIGNMENTS)[s.GRID_CODE]))


def test_store_save__partial_project_refuses_rows_of_other_communities(location):
    store = open_store(location)
    whole = store.save(_tiny())
    mine, other = _communities(whole)[:2]
    part = store.load(community=mine)
    edit = add_volunteer(part.table(s.ASSIGNMENTS), volunteer_id="P-2", grid_code=_grid_of(whole, other), user="t")
    with pytest.raises(Exception) as info:  # noqa: PT011 - the type is GeoInputError; the code says why
        store.save(part.with_table(s.ASSIGNMENTS, edit.table), expected_revision=part.revision)
    assert getattr(info.value, "code", "") == "store.out_of_scope"
    assert len(store.load().table(s.ASSIGNMENTS)) == len(whole.table(s.ASSIGNMENTS))


# --- per-unit optimistic concurrency ------------------------------------------------------------------------------
def _add(project: Project, volunteer_id: str, grid: str) -> Project:
    return project.with_table(s.ASSIGNMENTS, add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=volunteer_id,
                                                           grid_code=grid, user="t").table)


def test_store_save__editors_of_different_communities_both_succeed(location):
    store = open_store(location)
    base = store.save(_tiny())
    c1, c2 = _communities(base)[:2]
    a, b = store.load(), store.load()
    store.save(_add(a, "A-1", _grid_of(a, c1)), expected_revision=a.revision)
    merged = store.save(_add(b, "B-1", _grid_of(b, c2)), expected_revision=b.revision)
    ids = set(merged.table(s.ASSIGNMENTS)[s.VOLUNTEER_ID])
    assert {"A-1", "B-1"} <= ids  # the returned project holds both edits
    assert {"A-1", "B-1"} <= set(store.load().table(s.ASSIGNMENTS)[s.VOLUNTEER_ID])
    assert merged.revision == store.revision() == 3


def test_store_save__editors_of_the_same_grid_conflict_naming_the_unit(location):
    store = open_store(location)
    base = store.save(_tiny())
    c1 = _communities(base)[0]
    grid = _grid_of(base, c1)
    a, b = store.load(), store.load()
    store.save(_add(a, "A-1", grid), expected_revision=a.revision)
    with pytest.raises(ConflictError) as info:
        store.save(_add(b, "B-1", grid), expected_revision=b.revision)
    assert info.value.code == "save_conflict.units"
    assert c1 in info.value.context["units"]
    for lang in ("zh", "en"):
        text = t(info.value.code, lang, **info.value.context)
        assert c1 in text and ("重新加载" in text or "Reload" in text)
    ids = set(store.load().table(s.ASSIGNMENTS)[s.VOLUNTEER_ID])
    assert "A-1" in ids and "B-1" not in ids  # nothing half-written


# --- two editor processes -------------------------------------------------------------------------------------------------
EDITOR = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from geo import schema as s
    from geo.edits import add_volunteer
    from geo.errors import ConflictError
    from geo.store import open_store

    location, name, grid, pairs, sync = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
    other = "B" if name == "A" else "A"
    store = open_store(location)

    def wait_for(flag):
        deadline = time.time() + 120
        while not (sync / flag).exists():
            if time.time() > deadline:
                raise SystemExit(f"timed out waiting for {flag}")
            time.sleep(0.01)

    conflicts = 0
    for i in range(pairs):
        project = store.load()
        (sync / f"loaded-{name}-{i}").touch()
        wait_for(f"loaded-{other}-{i}")  # both editors hold the same revision before either saves
        vid = f"{name}-{i:03d}"
        while True:
            table = add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=vid, grid_code=grid, user=name).table
            try:
                store.save(project.with_table(s.ASSIGNMENTS, table), expected_revision=project.revision, user=name)
                break
            except ConflictError as exc:
                assert exc.code == "save_conflict.units", exc.code
                conflicts += 1
                project = store.load()  # reload and redo the edit, as the message tells the planner
        (sync / f"saved-{name}-{i}").touch()
        wait_for(f"saved-{other}-{i}")
    print(json.dumps({"conflicts": conflicts}), flush=True)
""")


def run_two_editors(location: str, tmp_path: Path, *, grid_a: str, grid_b: str, pairs: int) -> tuple[int, int]:
    """Two editor processes save ``pairs`` edits each from the same revision; return their conflict counts."""
    sync = tmp_path / "sync"
    sync.mkdir(parents=True)
    procs = [subprocess.Popen([sys.executable, "-c", EDITOR, location, name, grid, str(pairs), str(sync)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, grid in (("A", grid_a), ("B", grid_b))]
    outs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err[-3000:]
    a, b = (json.loads(out.strip().splitlines()[-1])["conflicts"] for out, _ in outs)
    return a, b


def _assert_no_lost_edits(store: ProjectStore, pairs: int, base_rows: int) -> None:
    table = store.load().table(s.ASSIGNMENTS)
    ids = set(table[s.VOLUNTEER_ID])
    want = {f"{n}-{i:03d}" for n in "AB" for i in range(pairs)}
    assert want <= ids, sorted(want - ids)[:10]
    assert len(table) == base_rows + 2 * pairs


@pytest.mark.slow
def test_store_concurrent_editors__different_communities_never_conflict(location, tmp_path):
    store = open_store(location)
    base = store.save(_tiny())
    c1, c2 = _communities(base)[:2]
    conflicts = run_two_editors(location, tmp_path, grid_a=_grid_of(base, c1), grid_b=_grid_of(base, c2), pairs=5)
    assert conflicts == (0, 0)
    _assert_no_lost_edits(store, 5, len(base.table(s.ASSIGNMENTS)))


@pytest.mark.slow
def test_store_concurrent_editors__same_grid_conflicts_and_loses_nothing(location, tmp_path):
    store = open_store(location)
    base = store.save(_tiny())
    grid = _grid_of(base, _communities(base)[0])
    a, b = run_two_editors(location, tmp_path, grid_a=grid, grid_b=grid, pairs=5)
    assert a + b == 5  # in every pair exactly one editor saved second, was told, reloaded and redid
    _assert_no_lost_edits(store, 5, len(base.table(s.ASSIGNMENTS)))
