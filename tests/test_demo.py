"""The bundled Chongzhou demo: real names and codes, exact tiling, household band, flags, regeneration."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.demo import DEMO_DIR, DEMO_FILES, load_demo_project, read_demo_layer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = DEMO_DIR / "source"


@pytest.fixture(scope="module")
def demo():
    return load_demo_project()


def _csv(name: str) -> list[dict[str, str]]:
    with open(SOURCE / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_demo__every_real_town_and_community_name_and_code_appears(demo):
    towns = demo.layers[s.TOWNS]
    comms = demo.layers[s.COMMUNITIES]
    real_towns = {(r["code12"], r["name"]) for r in _csv("chongzhou_towns_2023.csv")}
    real_comms = {(r["code12"], r["name_short"], r["town_code12"]) for r in _csv("chongzhou_villages_2021.csv")}
    assert set(zip(towns[s.CODE], towns[s.NAME])) == real_towns
    assert set(zip(comms[s.CODE], comms[s.NAME], comms[s.TOWN_CODE])) == real_comms
    assert len(real_comms) == 172


def test_demo__every_feature_is_flagged_illustrative(demo):
    for name in DEMO_FILES:
        layer = demo.layers[name]
        assert len(layer) > 0
        assert layer[s.ILLUSTRATIVE].astype(bool).all(), name
    assert demo.meta["illustrative"] is True


def test_demo__towns_and_communities_tile_exactly(demo):
    towns = demo.layers[s.TOWNS].geometry.values
    comms = demo.layers[s.COMMUNITIES]
    assert shapely.coverage_is_valid(towns)
    assert shapely.coverage_is_valid(comms.geometry.values)
    assert shapely.is_valid(comms.geometry.values).all()
    town_geom = dict(zip(demo.layers[s.TOWNS][s.CODE], towns))
    for code, group in comms.groupby(s.TOWN_CODE):
        union = shapely.union_all(group.geometry.values)
        assert union.symmetric_difference(town_geom[code]).area < 1e-9, code


def test_demo__grids_tile_their_community_and_hold_its_buildings(demo):
    grids = demo.layers[s.GRIDS].to_crs(s.METRIC_CRS)
    comms = demo.layers[s.COMMUNITIES].to_crs(s.METRIC_CRS).set_index(s.CODE)
    for level in (s.LEVEL_MICRO, s.LEVEL_GENERAL):
        layer = grids[grids[s.LEVEL].isin([level, s.LEVEL_DEDICATED])]
        areas = layer.groupby(s.COMMUNITY_CODE).geometry.apply(lambda g: g.area.sum())
        ratio = areas / comms.geometry.area.reindex(areas.index)
        assert np.allclose(ratio, 1.0, atol=1e-6), level
        # children inside parents, up to rounding to 1e-6 degree (~0.1 m): a sliver closed by
        # coverage_clean may cross a community line by a fraction of a square metre
        parent = comms.geometry.reindex(layer[s.COMMUNITY_CODE]).values
        outside = shapely.area(shapely.difference(layer.geometry.values, parent))
        assert (outside < 0.5).all()
        assert shapely.coverage_is_valid(layer.geometry.values)
    assert shapely.is_valid(grids.geometry.values).all()


def test_demo__micro_grids_in_band_except_single_big_buildings(demo):
    grids = demo.layers[s.GRIDS]
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    bld = demo.layers[s.HOUSEHOLDS]
    joined = bld.sjoin(micro[[s.CODE, "geometry"]].rename(columns={s.CODE: "grid"}), predicate="within")
    assert len(joined) == len(bld)  # every building in exactly one micro-grid
    per_grid = joined.groupby("grid")[s.HOUSEHOLDS_N].agg(["sum", "size"])
    hh = micro.set_index(s.CODE)[s.HOUSEHOLDS_N]
    assert (per_grid["sum"].reindex(hh.index).fillna(0) == hh).all()
    single = per_grid["size"].reindex(hh.index).fillna(0).eq(1) & (hh > 100)
    inside = hh.between(30, 100)
    assert (inside | single).mean() > 0.995
    assert 200_000 < bld[s.HOUSEHOLDS_N].sum() < 300_000
    assert 15_000 <= len(bld) <= 25_000


def test_demo__volunteers_have_fake_phones_and_known_tiers(demo):
    vols = demo.layers[s.VOLUNTEERS]
    assert len(vols) >= 5000
    assert vols[s.PHONE].str.fullmatch(r"1700000\d{4}").all()
    assert vols[s.PHONE].is_unique
    assert set(vols[s.TIER]) == set(s.TIERS)
    assert vols[s.CAPACITY].between(1, 3).all()


def test_demo__service_points_include_required_ones(demo):
    pts = demo.layers[s.SERVICE_POINTS]
    counts = pts[s.POINT_TYPE].value_counts()
    assert counts["区域治理中心"] == 3
    assert counts["社区工作站"] == 172
    assert counts["社区花园"] == 5
    assert counts["社区运动角"] == 9
    assert set(pts[s.POINT_TYPE]) <= set(s.POINT_TYPES)
    comm_town = dict(zip(demo.layers[s.COMMUNITIES][s.CODE], demo.layers[s.COMMUNITIES][s.TOWN_CODE]))
    town_name = dict(zip(demo.layers[s.TOWNS][s.CODE], demo.layers[s.TOWNS][s.NAME]))
    centres = pts[pts[s.POINT_TYPE] == "区域治理中心"]
    assert {town_name[comm_town[c]] for c in centres[s.COMMUNITY_CODE]} == {"隆兴镇", "元通镇", "崇庆街道"}


def test_demo__files_are_small():
    total = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    assert total < 30e6
    for p in DEMO_DIR.glob("*.geojson"):
        assert p.stat().st_size < 5e6, p.name


def test_demo__codes_stay_text():
    comms = read_demo_layer(s.COMMUNITIES)
    assert all(isinstance(c, str) and len(c) == 12 for c in comms[s.CODE])


def test_demo_command__bare_writes_a_loadable_project_without_results(tmp_path):
    from cli.main import main
    from geo.project import load_project

    out = tmp_path / "demo.gpkg"
    assert main(["demo", "--bare", "--out", str(out)]) == 0
    project = load_project(out)
    assert project.meta["demo"] is True
    assert len(project.layers[s.COMMUNITIES]) == 172
    assert len(project.table(s.ASSIGNMENTS)) == 0


@pytest.mark.slow
def test_demo_project__ships_with_a_full_assignment_and_coverage(demo_project_file):
    from geo.project import load_project
    from geo.staffing import staffing_by_grid

    project = load_project(demo_project_file)
    staffing = staffing_by_grid(project)
    assert staffing["short"].sum() == 0 and staffing["actual"].sum() == staffing["target"].sum()
    coverage = project.table(s.COVERAGE)
    assert set(coverage[s.CATEGORY]) >= set(s.CATEGORIES)
    assert coverage["area_share"].between(0, 1).all()


@pytest.mark.slow
def test_build_demo__regenerates_committed_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_demo.py"), "--out", str(tmp_path)],
                   check=True, cwd=ROOT, capture_output=True)
    for name in [*DEMO_FILES.values(), "build_summary.json"]:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_demo__ships_buildings_named_placed_in_micro_grids_with_heads(demo):
    from geo.buildings import building_heads, buildings_table

    bld = buildings_table(demo)
    grids = demo.layers[s.GRIDS]
    micro = set(grids.loc[grids[s.LEVEL] == s.LEVEL_MICRO, s.CODE])
    assert bld[s.GRID_CODE].isin(micro).all()
    assert bld[s.NAME].str.endswith("栋").all() and bld[s.ADDRESS].str.contains("示意").all()
    assert set(bld[s.KIND]) <= set(s.MICRO_KINDS)
    heads = building_heads(demo)
    assert len(heads) > 0 and heads[s.BUILDING_CODE].notna().all()
    assert not heads[s.GRID_CODE].duplicated().any()  # one 楼栋长 per micro-grid in the demo
    assert demo.layers[s.VOLUNTEERS][s.PHONE_CONSENT].any() and not demo.layers[s.VOLUNTEERS][s.PHONE_CONSENT].all()
def test_demo__ships_governance_projects_in_the_articles_numbers(demo):
    from geo.demo import DEMO_PROJECT_COUNTS

    projects = demo.layers[s.GOV_PROJECTS]
    assert projects[s.KIND].value_counts().to_dict() == DEMO_PROJECT_COUNTS == {
        "主题社区": 13, "社区微更新": 65, "特色消费场景": 5, "社区花园": 5, "社区运动角": 9}
    assert (projects[s.GRID_CODES] != "").all() and projects[s.PROJECT_ID].is_unique
    assert set(projects[s.STATUS]) <= set(s.PROJECT_STATUSES) and projects[s.ILLUSTRATIVE].all()


def test_demo__ships_organisations_and_self_governance_for_every_community(demo):
    orgs = demo.tables[s.ORGANISATIONS]
    comms = set(demo.layers[s.COMMUNITIES][s.CODE])
    assert set(orgs[s.COMMUNITY_CODE]) == comms
    assert set(orgs[s.ORG_TYPE]) <= set(s.ORG_TYPES) and orgs[s.PHONE].str.startswith("1700001").all()
    selfgov = demo.tables[s.SELFGOV]
    assert set(selfgov[s.COMMUNITY_CODE]) == comms


def test_demo__governance_is_deterministic():
    a, b = load_demo_project(), load_demo_project()
    pd.testing.assert_frame_equal(a.tables[s.ORGANISATIONS], b.tables[s.ORGANISATIONS])
    assert a.layers[s.GOV_PROJECTS].geometry.equals(b.layers[s.GOV_PROJECTS].geometry)
