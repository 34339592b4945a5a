"""The audit log: one row per edit and per whole operation (import, runs, auto-gridding, saves).

The operations run on the field kit (锦澜市, tests/data/fieldkit/truth), with volunteers generated here.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import schema as s
from geo.audit import (
    AUDIT_COLUMNS,
    EVENT_ACTIONS,
    action_label,
    append_audit,
    audit_rows,
    counts_text,
    localise_audit,
    log_event,
    read_audit,
    read_counts,
)
from geo.autogrid import autogrid_project
from geo.coverage import service_reach, with_coverage
from geo.edits import add_volunteer, lock_assignment
from geo.history import History, record_edit, save_edits, undo
from geo.io import build_project, load_layer
from geo.project import load_project, save_project
from geo.records import apply_record
from geo.scenarios import branch_scenario, switch_scenario
from geo.staffing import StaffingOptions, assign_project

M1 = "510184001001-G1-M1"
KIT = Path(__file__).parent / "data" / "fieldkit" / "truth"
TRUTH = json.loads((KIT / "summary.json").read_text(encoding="utf-8"))
WANGJIANG = "510197001001"  # 望江社区


def test_audit_rows__time_user_scenario_action_object_from_to(tiny_project):
    edit = add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, role="leader",
                         user="王", scenario="方案B", now="2024-05-01T08:00:00+00:00")
    row = audit_rows([edit.record]).iloc[0]
    assert list(audit_rows([edit.record]).columns) == list(AUDIT_COLUMNS)
    assert (row["time"], row["user"], row["scenario"], row["action"], row["object"], row["from"], row["to"]) == (
        "2024-05-01T08:00:00+00:00", "王", "方案B", "add", M1, "", f"V110@{M1}(leader)")


def test_append_audit__appends_after_existing_rows(tiny_project):
    e1 = add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, user="a")
    p = append_audit(tiny_project, [e1.record])
    e2 = lock_assignment(e1.table, volunteer_id="V110", grid_code=M1, user="b")
    p = append_audit(p, [e2.record])
    assert p.table(s.AUDIT)[["user", "action"]].values.tolist() == [["a", "add"], ["b", "lock"]]
    assert read_audit(p, user="b")["action"].tolist() == ["lock"]


def test_save_edits__audit_written_with_edits_including_undo(tmp_path, tiny_project):
    path = tmp_path / "p.gpkg"
    base = save_project(tiny_project, path)
    edit = add_volunteer(base.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, user="王")
    h = record_edit(History(), edit.record)
    h, _, _ = undo(h, apply_record(base, edit.record), user="王")
    save_edits(path, base, h.journal)
    saved = load_project(path)
    assert saved.table(s.ASSIGNMENTS).empty
    assert saved.table(s.AUDIT)["action"].tolist() == ["save", "add", "undo:add", "save"]


# --- whole operations --------------------------------------------------------------------------
def _events(project, action: str) -> pd.DataFrame:
    log = project.table(s.AUDIT)
    return log[log["action"] == action].reset_index(drop=True)


@pytest.fixture(scope="module")
def kit_loaded():
    """The field kit's towns, communities and buildings imported with ``geo.io.load_layer`` (WGS 84 files)."""
    return {s.TOWNS: load_layer(KIT / "towns_wgs84.geojson", s.TOWNS),
            s.COMMUNITIES: load_layer(KIT / "communities_wgs84.geojson", s.COMMUNITIES),
            s.HOUSEHOLDS: load_layer(KIT / "buildings_wgs84.geojson", s.HOUSEHOLDS, mapping={"楼栋名称": s.CODE})}


@pytest.fixture(scope="module")
def kit_project(kit_loaded):
    """The imported field kit plus its micro-grids, service points and one volunteer per grid (seeded)."""
    raw = gpd.read_file(KIT / "grids_wgs84.geojson")
    grids = gpd.GeoDataFrame({
        s.CODE: raw["网格编码"].astype(str), s.NAME: raw["网格名称"], s.LEVEL: s.LEVEL_MICRO, s.KIND: "小区",
        s.COMMUNITY_CODE: raw["社区代码"].astype(str), s.TOWN_CODE: raw["镇街代码"].astype(str),
        s.PARENT_CODE: raw["一般网格编码"].astype(str), s.HOUSEHOLDS_N: raw["户数"].astype(int),
    }, geometry=raw.geometry, crs=s.STORAGE_CRS)
    table = pd.read_csv(KIT / "service_points_wgs84.csv", dtype=str)
    points = gpd.GeoDataFrame({
        s.POINT_ID: [f"S{i:02d}" for i in range(len(table))], s.NAME: table["名称"], s.POINT_TYPE: table["类型"],
        s.COMMUNITY_CODE: table["社区代码"],
    }, geometry=gpd.points_from_xy(table["lon_wgs84"].astype(float), table["lat_wgs84"].astype(float)),
        crs=s.STORAGE_CRS)
    rng = np.random.default_rng(12)
    homes = grids.to_crs(s.METRIC_CRS).representative_point().translate(*rng.normal(0, 20, 2))
    homes = homes.to_crs(s.STORAGE_CRS)
    vols = gpd.GeoDataFrame({
        s.VOLUNTEER_ID: [f"T{i:03d}" for i in range(len(grids))], s.NAME: "某某", s.CAPACITY: 1,
        s.TIER: "社区", s.SKILLS: "",
    }, geometry=homes.to_numpy(), crs=s.STORAGE_CRS)
    project = build_project(kit_loaded)
    project = project.with_layer(s.GRIDS, grids).with_layer(s.SERVICE_POINTS, points)
    return project.with_layer(s.VOLUNTEERS, vols)


@pytest.fixture(scope="module")
def kit_staffed(kit_project):
    """The field kit staffed in scenario 方案B (the active one) by 李."""
    project = kit_project.with_active_scenario("方案B")
    return assign_project(project, options=StaffingOptions(max_distance_m=3000, scenario="方案B"),
                          max_distance_m=3000, user="李")


def test_log_event__one_row_in_the_edit_row_shape_on_the_active_scenario(tiny_project):
    project = log_event(tiny_project.with_active_scenario("方案B"), action="coverage_run", user="王",
                        obj=s.COVERAGE, detail="before", counts={"grids": np.int64(16), "rows": 128})
    log = project.table(s.AUDIT)
    assert list(log.columns) == list(AUDIT_COLUMNS) and len(log) == 1
    row = log.iloc[0]
    assert (row["user"], row["scenario"], row["action"], row["object"], row["from"]) == (
        "王", "方案B", "coverage_run", s.COVERAGE, "before")
    assert read_counts(row["to"]) == {"grids": 16, "rows": 128}
    assert row["time"] and len(row["edit_id"]) == 32


def test_counts_text__reads_back_ints_and_floats_in_order():
    text = counts_text({"grids": np.int64(3), "share": 0.25, "rows": 7.0})
    assert text == "grids=3; share=0.25; rows=7"
    assert list(read_counts(text).items()) == [("grids", 3), ("share", 0.25), ("rows", 7)]


def test_build_project__logs_the_import_with_source_files_and_true_feature_counts(kit_loaded):
    project = build_project(kit_loaded, user="王")
    row = _events(project, "import").iloc[0]
    assert (row["user"], row["scenario"]) == ("王", s.DEFAULT_SCENARIO)
    assert read_counts(row["to"]) == {s.TOWNS: TRUTH["counts"]["towns"],
                                      s.COMMUNITIES: TRUTH["counts"]["communities"],
                                      s.HOUSEHOLDS: TRUTH["counts"]["buildings"]}
    assert all(f in row["from"] for f in ("towns_wgs84.geojson", "communities_wgs84.geojson",
                                          "buildings_wgs84.geojson"))
    assert project.meta["sources"][s.TOWNS]["imported_at"] == project.meta["imported_at"] == row["time"]


def test_assign_project__logs_point_placement_and_the_staffing_run_in_its_scenario(kit_staffed):
    project, point_grids, result = kit_staffed
    assert project.table(s.AUDIT)["action"].tolist() == ["import", "point_grids", "staffing_run"]
    placed = _events(project, "point_grids").iloc[0]
    assert read_counts(placed["to"]) == {"points": point_grids[s.POINT_ID].nunique(),
                                         "rows": len(point_grids),
                                         "unplaced": int(point_grids[s.GRID_CODE].isna().sum())}
    run = _events(project, "staffing_run").iloc[0]
    rows = project.table(s.ASSIGNMENTS)
    counts = read_counts(run["to"])
    assert (run["user"], run["scenario"], placed["scenario"]) == ("李", "方案B", "方案B")
    assert counts == {**result.changes, "grids_short": len(result.short)}
    assert counts["added"] == (rows[s.SCENARIO] == "方案B").sum() > 0  # a first run adds every row
    assert counts["grids_short"] == TRUTH["counts"]["micro_grids"] - rows[s.GRID_CODE].nunique()


def test_with_coverage__logs_grids_categories_radii_and_rows(kit_project):
    cov = service_reach(kit_project, radii_m=[300, 500])
    project = with_coverage(kit_project, cov, meta={"radii_m": [300, 500]}, user="赵")
    row = _events(project, "coverage_run").iloc[0]
    assert (row["user"], row["scenario"]) == ("赵", s.DEFAULT_SCENARIO)
    assert read_counts(row["to"]) == {"grids": TRUTH["counts"]["micro_grids"],
                                      "categories": cov[s.CATEGORY].nunique(), "radii": 2, "rows": len(cov)}
    assert project.meta["coverage"] == {"radii_m": [300, 500]}


def test_autogrid_project__logs_every_assignment_it_removed(kit_staffed):
    staffed = kit_staffed[0]
    rows = staffed.table(s.ASSIGNMENTS)
    wangjiang = {c for c in staffed.layer(s.GRIDS)[s.CODE] if c.startswith(WANGJIANG)}
    removed = rows[rows[s.GRID_CODE].isin(wangjiang)]
    new, report = autogrid_project(staffed, community_codes=[WANGJIANG], user="王")
    row = _events(new, "autogrid").iloc[0]
    added = new.layer(s.GRIDS)[s.COMMUNITY_CODE].eq(WANGJIANG).sum()
    assert (row["user"], row["scenario"], row["object"]) == ("王", "方案B", WANGJIANG)
    assert read_counts(row["to"]) == {"communities": 1, "grids_removed": 21, "grids_added": added,
                                      "assignments_removed": len(removed)}
    assert len(removed) == report["dropped_assignments"] > 12  # more than an edit row lists
    assert row["from"].startswith("方案B: ")
    assert all(f"{v}@{g}(" in row["from"] for v, g in zip(removed[s.VOLUNTEER_ID], removed[s.GRID_CODE]))


def test_switch_scenario__reaches_the_audit_log_with_the_session_edits(tmp_path, tiny_project):
    path = tmp_path / "p.gpkg"
    staffed = add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1).table
    base = save_project(tiny_project.with_table(s.ASSIGNMENTS, staffed), path)
    branch = branch_scenario(base, "方案B", user="王")
    project = apply_record(base, branch)
    back = switch_scenario(project, s.DEFAULT_SCENARIO, user="王")
    history = record_edit(record_edit(History(), branch), back)
    save_edits(path, base, history.journal, user="王")
    saved = load_project(path)
    log = saved.table(s.AUDIT)
    edits = log[log["action"] != "save"]
    assert edits[["user", "scenario", "action", "object"]].values.tolist() == [
        ["王", "方案B", "scenario_branch", f"{s.DEFAULT_SCENARIO}->方案B"],
        ["王", s.DEFAULT_SCENARIO, "scenario_switch", f"方案B->{s.DEFAULT_SCENARIO}"]]
    assert saved.active_scenario == s.DEFAULT_SCENARIO


def test_save_project__logs_each_save_with_revision_and_feature_counts(tmp_path, kit_staffed):
    project = kit_staffed[0]
    path = tmp_path / "kit.gpkg"
    save_project(save_project(project, path, user="王"), path, user="李")
    saves = _events(load_project(path), "save")
    assert saves[["user", "scenario", "object"]].values.tolist() == [["王", "方案B", "kit.gpkg"],
                                                                    ["李", "方案B", "kit.gpkg"]]
    counts = [read_counts(t) for t in saves["to"]]
    assert [c["revision"] for c in counts] == [1, 2]
    assert counts[0][s.GRIDS] == TRUTH["counts"]["micro_grids"] and counts[0][s.HOUSEHOLDS] == 938
    assert counts[0][s.ASSIGNMENTS] == len(project.table(s.ASSIGNMENTS))


def test_localise_audit__every_logged_action_and_count_has_a_label_in_both_languages(kit_staffed):
    cov = service_reach(kit_staffed[0], radii_m=[300])
    project = with_coverage(kit_staffed[0], cov)
    project, _ = autogrid_project(project, community_codes=[WANGJIANG])
    project = log_event(project, action="save",
                        counts={"revision": 1, s.VOLUNTEERS: 180, s.SERVICE_POINTS: 45})
    project = log_event(project, action="personal_data", counts={"people": 3}, obj="volunteers.phone")
    for action, what in (("account", "added"), ("account", "disabled"), ("account", "enabled"),
                         ("account", "reset"), ("account_locked", "locked")):
        project = log_event(project, action=action, counts={what: 1}, obj="someone")
    assert set(project.table(s.AUDIT)["action"]) == set(EVENT_ACTIONS)
    for lang in ("zh", "en"):
        shown = localise_audit(project.table(s.AUDIT), lang)
        assert not shown["action"].str.contains("edit.action.", regex=False).any()
        assert not shown["to"].str.contains("edit.count.", regex=False).any()
    assert action_label("undo:add", "zh") == "撤销：加入网格" and action_label("save", "en") == "save project"
    assert action_label("not_an_action", "en") == "not_an_action"
