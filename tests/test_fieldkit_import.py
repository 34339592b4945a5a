"""The 锦澜市 field kit imports as its README says: every file, every true count, positions within 1 m of truth/.

The kit (tests/data/fieldkit/README.md) is what a 街道 grid office hands over: GCJ-02 boundaries
labelled CRS84, BD-09 grids naming their community, a GBK shapefile in EPSG:4544, a 花名册
without coordinates, GB18030 service points in BD-09 and an organisations sheet. Numbers are
read from truth/summary.json, and a few are also written out here so a broken truth file
cannot make the tests pass.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from cli.main import main
from geo import schema as s
from geo.io import load_layer
from geo.project import load_project
from geo.roster_import import POST, read_roster
from geo.sheets import read_workbook
from geo.unitnames import resolve_layer_names

KIT = Path(__file__).parent / "data" / "fieldkit"
TRUTH = KIT / "truth"
SUMMARY = json.loads((TRUTH / "summary.json").read_text(encoding="utf-8"))
GEOD = Geod(ellps="WGS84")
ROSTER = KIT / "rosters" / "网格员花名册.xlsx"


def _csv(name: str) -> list[dict[str, str]]:
    with open(TRUTH / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def kit() -> dict[str, object]:
    """Every layer of the kit loaded as a planner declares it, names resolved as the import command does."""
    loaded = {
        s.TOWNS: load_layer(KIT / "boundaries" / "towns_amap.geojson", s.TOWNS, crs="gcj02"),
        s.COMMUNITIES: load_layer(KIT / "boundaries" / "communities_amap.geojson", s.COMMUNITIES, crs="gcj02"),
        s.GRIDS: load_layer(KIT / "boundaries" / "grids_baidu.geojson", s.GRIDS, crs="bd09"),
        s.HOUSEHOLDS: load_layer(KIT / "boundaries" / "buildings_cgcs2000_gk.zip", s.HOUSEHOLDS),
        s.SERVICE_POINTS: load_layer(KIT / "rosters" / "service_points_baidu.csv", s.SERVICE_POINTS, crs="bd09"),
    }
    layers, findings = resolve_layer_names({k: v.gdf for k, v in loaded.items()})
    roster = read_roster(ROSTER, grids=layers[s.GRIDS], communities=layers[s.COMMUNITIES], id_salt="test-salt")
    return {"loaded": loaded, "layers": layers, "name_findings": findings, "roster": roster}


def _ring_pairs(a: object, b: object) -> list[tuple[np.ndarray, np.ndarray]]:
    """Corresponding rings of two polygons, oriented alike and rolled to start at the same vertex."""
    ra = shapely.get_rings(shapely.orient_polygons(a))
    rb = shapely.get_rings(shapely.orient_polygons(b))
    assert len(ra) == len(rb), "same parts and holes"
    pairs = []
    for x, y in zip(ra, rb):
        cx, cy = shapely.get_coordinates(x)[:-1], shapely.get_coordinates(y)[:-1]
        assert cx.shape == cy.shape, "same vertices"
        start = int(np.argmin(np.hypot(*(cy - cx[0]).T)))
        pairs.append((cx, np.roll(cy, -start, axis=0)))
    return pairs


def _max_vertex_offset_m(ours: gpd.GeoDataFrame, truth: gpd.GeoDataFrame, *, key: str, truth_key: str) -> float:
    """The largest geodesic distance between corresponding vertices, features matched by code."""
    a = ours.set_index(ours[key].astype(str)).geometry
    b = truth.set_index(truth[truth_key].astype(str)).geometry.reindex(a.index)
    assert b.notna().all(), "every feature has a truth twin"
    pairs = [p for x, y in zip(a, b) for p in _ring_pairs(x, y)]
    ca = np.vstack([p[0] for p in pairs])
    cb = np.vstack([p[1] for p in pairs])
    _, _, dist = GEOD.inv(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1])
    return float(np.max(np.abs(dist)))


# --- towns and communities: GCJ-02 labelled CRS84 -------------------------------------------------

def test_towns__declared_gcj02_wins_over_the_crs84_label_within_a_metre_of_truth(kit):
    loaded = kit["loaded"][s.TOWNS]
    assert loaded.source_crs == "GCJ-02"
    assert "io.crs_declared_over_label" in {f["code"] for f in loaded.findings}
    truth = gpd.read_file(TRUTH / "towns_wgs84.geojson")
    assert _max_vertex_offset_m(loaded.gdf, truth, key=s.CODE, truth_key="镇街代码") < 1.0


def test_towns__counts_names_and_text_codes(kit):
    towns = kit["layers"][s.TOWNS]
    assert len(towns) == SUMMARY["counts"]["towns"] == 3
    assert dict(zip(towns[s.CODE], towns[s.NAME])) == {t["code"]: t["name"] for t in SUMMARY["towns"]}
    assert all(isinstance(c, str) and len(c) == 12 for c in towns[s.CODE])


def test_towns__geodesic_areas_match_truth(kit):
    towns = kit["layers"][s.TOWNS]
    for town in SUMMARY["towns"]:
        geom = towns.set_index(s.CODE).geometry[town["code"]]
        area_km2 = abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6
        assert area_km2 == pytest.approx(town["area_km2_geodesic"], abs=0.01)


def test_communities__within_a_metre_and_each_inside_the_town_its_code_prefix_names(kit):
    communities = kit["layers"][s.COMMUNITIES]
    truth = gpd.read_file(TRUTH / "communities_wgs84.geojson")
    assert len(communities) == SUMMARY["counts"]["communities"] == 12
    assert _max_vertex_offset_m(communities, truth, key=s.CODE, truth_key="社区代码") < 1.0
    towns = kit["layers"][s.TOWNS].set_index(s.CODE).to_crs(s.METRIC_CRS).geometry
    expected = {c["code"]: c["town_code"] for c in SUMMARY["communities"]}
    for code, geom in zip(communities[s.CODE], communities.to_crs(s.METRIC_CRS).geometry):
        largest = towns.intersection(geom).area.idxmax()  # parent by largest overlap ...
        assert largest == code[:9] + "000" == expected[code]  # ... agrees with the code prefix and truth


def test_communities__tile_their_towns(kit):
    communities = kit["layers"][s.COMMUNITIES]
    assert shapely.coverage_is_valid(communities.geometry.to_numpy())


# --- grids: BD-09, community names ----------------------------------------------------------------

def test_grids__bd09_within_a_metre_of_truth(kit):
    grids = kit["layers"][s.GRIDS]
    truth = gpd.read_file(TRUTH / "grids_wgs84.geojson")
    assert len(grids) == SUMMARY["counts"]["micro_grids"] == 180
    assert _max_vertex_offset_m(grids, truth, key=s.CODE, truth_key="网格编码") < 1.0


def test_grids__community_names_resolved_to_codes_and_the_shared_name_by_community(kit):
    grids = kit["layers"][s.GRIDS]
    truth = {f["网格编码"]: f["社区代码"] for f in _csv_features("grids_wgs84.geojson")}
    assert dict(zip(grids[s.CODE], grids[s.COMMUNITY_CODE])) == truth
    dup = SUMMARY["duplicate_grid_name"]
    shared = grids[grids[s.NAME] == dup["name"]]
    assert sorted(shared[s.CODE]) == sorted(dup["codes"]) == ["5101970010010104", "5101970010020104"]
    problems = [f for f in kit["name_findings"] if f["severity"] != "info"]
    assert problems == []  # every name resolved, every grid inside its community, every code prefix right


def test_grids__levels_from_codes_and_general_grids_implied(kit):
    grids = kit["layers"][s.GRIDS]
    assert set(grids[s.LEVEL]) == {s.LEVEL_MICRO}
    assert len({c[:14] for c in grids[s.CODE]}) == SUMMARY["counts"]["general_grids"] == 32
    per_community = grids.groupby(s.COMMUNITY_CODE)[s.CODE].agg(lambda c: len({x[:14] for x in c}))
    assert per_community.to_dict() == {c["code"]: c["general_grids"] for c in SUMMARY["communities"]}


def test_grids__general_grids_implied_by_codes_with_the_truth_names_and_households(kit):
    from geo.unitnames import DERIVED, implied_general_grids

    grids, _ = implied_general_grids(kit["layers"][s.GRIDS], kit["layers"][s.COMMUNITIES])
    general = grids[grids[s.LEVEL] == s.LEVEL_GENERAL].set_index(s.CODE)
    truth = {f["一般网格编码"]: f["一般网格"] for f in _csv_features("grids_wgs84.geojson")}
    assert dict(general[s.NAME]) == truth and len(truth) == 32
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    assert (micro[s.PARENT_CODE] == micro[s.CODE].str[:14]).all()
    sums = micro.groupby(micro[s.CODE].str[:14])[s.HOUSEHOLDS_N].sum()
    assert (general[s.HOUSEHOLDS_N] == sums.reindex(general.index)).all()
    assert set(general[DERIVED]) == {"codes"}
    assert shapely.coverage_is_valid(general.geometry.to_numpy())  # general grids tile like their micro-grids


def _csv_features(name: str) -> list[dict]:
    return [f["properties"] for f in json.loads((TRUTH / name).read_text(encoding="utf-8"))["features"]]


# --- buildings: GBK shapefile in EPSG:4544 ---------------------------------------------------------

def test_buildings__crs_from_prj_and_gbk_from_cpg_within_a_centimetre(kit):
    loaded = kit["loaded"][s.HOUSEHOLDS]
    assert loaded.source_crs == "EPSG:4544"
    assert loaded.encoding.upper() == "GBK"
    truth = gpd.read_file(TRUTH / "buildings_wgs84.geojson")
    ours = loaded.gdf
    assert list(ours[s.NAME]) == list(truth["楼栋名称"])  # no mojibake, same order
    _, _, dist = GEOD.inv(ours.geometry.x.to_numpy(), ours.geometry.y.to_numpy(),
                          truth.geometry.x.to_numpy(), truth.geometry.y.to_numpy())
    assert np.max(np.abs(dist)) < 0.01


def test_buildings__households_sum_per_grid_reproduces_the_grid_households(kit):
    buildings = kit["layers"][s.HOUSEHOLDS]
    grids = kit["layers"][s.GRIDS]
    assert len(buildings) == SUMMARY["counts"]["buildings"] == 938
    assert buildings[s.HOUSEHOLDS_N].sum() == SUMMARY["counts"]["households"] == 12465
    cells = grids[[s.CODE, s.GEOMETRY]].rename(columns={s.CODE: "grid"})
    joined = gpd.sjoin(buildings, cells, predicate="within")
    assert len(joined) == len(buildings)  # every point in exactly one micro-grid
    sums = joined.groupby("grid")[s.HOUSEHOLDS_N].sum()
    assert sums.to_dict() == dict(zip(grids[s.CODE], grids[s.HOUSEHOLDS_N]))
    band = SUMMARY["household_band"]
    assert (grids[s.HOUSEHOLDS_N].min(), grids[s.HOUSEHOLDS_N].median(), grids[s.HOUSEHOLDS_N].max()) == (
        band["min"], band["median"], band["max"])


# --- the roster: no coordinates --------------------------------------------------------------------

def test_roster__250_people_the_total_row_and_notes_sheet_skipped(kit):
    roster = kit["roster"]
    assert len(roster.volunteers) == SUMMARY["roster"]["people"] == 250
    assert roster.volunteers.index.min() == SUMMARY["roster"]["first_data_excel_row"] == 5
    assert SUMMARY["roster"]["total_row_excel"] not in roster.volunteers.index
    codes = {f["code"]: f["feature_id"] for f in roster.findings}
    assert codes["io.total_rows_skipped"] == "255"
    assert codes["io.sheet_skipped.notes"] == "说明"


def test_roster__people_per_post(kit):
    assert kit["roster"].per_post() == SUMMARY["roster"]["per_role"]
    assert kit["roster"].per_post()["兼职网格员"] == 98


def test_roster__every_row_matches_the_grid_truth_names(kit):
    roster = kit["roster"]
    truth = {int(r["excel_row"]): r for r in _csv("roster_truth.csv")}
    assert roster.rows("matched") == sorted(truth)
    assert {row: code for row, code in roster.volunteers[s.GRID_CODE].items()} == {
        row: r["网格编码"] for row, r in truth.items()}
    levels = roster.grid_level.value_counts().to_dict()
    assert levels == {s.LEVEL_MICRO: SUMMARY["roster"]["micro_grid_rows"],
                      s.LEVEL_GENERAL: SUMMARY["roster"]["general_grid_rows"]} == {"micro": 216, "general": 34}


def test_roster__the_shared_grid_name_is_resolved_by_community(kit):
    roster = kit["roster"]
    sheet = read_workbook(ROSTER).sheet().frame
    rows = sheet.index[sheet["所属网格"] == SUMMARY["duplicate_grid_name"]["name"]]
    assert len(rows) == SUMMARY["roster"]["rows_naming_duplicate_grid"] == 5
    got = {sheet.loc[r, "所属社区"]: roster.volunteers.loc[r, s.GRID_CODE] for r in rows}
    assert got == dict(zip(SUMMARY["duplicate_grid_name"]["communities"], SUMMARY["duplicate_grid_name"]["codes"]))


def test_roster__two_bad_id_numbers_reported_by_excel_row_and_lowercase_x_valid(kit):
    roster = kit["roster"]
    bad = sorted(int(f["feature_id"]) for f in roster.findings if f["code"].startswith("idcard.problem."))
    assert bad == [b["excel_row"] for b in SUMMARY["roster"]["bad_checksum"]] == [100, 134]
    valid = roster.volunteers["id_number_valid"]
    assert int(valid.sum()) == SUMMARY["roster"]["valid_ids"] == 248
    assert bool(valid.loc[SUMMARY["roster"]["lowercase_x"]["excel_row"]])
    assert roster.volunteers.loc[151, "id_number_masked"] == "510197********830X"


def test_roster__no_id_number_in_clear_and_phones_normalised(kit):
    roster = kit["roster"]
    truth = {int(r["excel_row"]): r for r in _csv("roster_truth.csv")}
    cells = set(roster.volunteers.drop(columns="geometry").astype(str).to_numpy().ravel())
    assert not cells & {r["身份证号规范"] for r in truth.values() if r["身份证号规范"]}
    assert roster.volunteers[s.PHONE].to_dict() == {row: r["电话规范"] for row, r in truth.items()}


def test_roster__people_located_at_their_grid_and_assigned_to_it(kit):
    roster = kit["roster"]
    grids = kit["layers"][s.GRIDS].set_index(s.CODE)
    vols = roster.volunteers
    assert set(vols["located_by"]) == {"grid"}
    micro = vols[vols[s.GRID_CODE].isin(grids.index)]
    assert all(shapely.contains(grids.geometry[c], p) for c, p in zip(micro[s.GRID_CODE], micro.geometry))
    assert len(roster.assignments) == 250 and set(roster.assignments[s.METHOD]) == {"manual"}


def test_roster__micro_grids_of_the_town_without_a_part_time_worker(kit):
    roster = kit["roster"]
    grids = kit["layers"][s.GRIDS]
    town = grids[grids[s.CODE].str.startswith("510197001")]
    assert len(town) == SUMMARY["roster"]["micro_grids_in_roster_town"] == 101
    workers = set(roster.volunteers.loc[roster.volunteers[POST] == "兼职网格员", s.GRID_CODE])
    missing = sorted(set(town[s.CODE]) - workers)
    assert missing == sorted(g["code"] for g in SUMMARY["roster"]["micro_grids_without_兼职网格员"])


# --- service points: GB18030, BD-09 ----------------------------------------------------------------

def test_service_points__gb18030_bd09_within_a_metre_and_types_counted(kit):
    loaded = kit["loaded"][s.SERVICE_POINTS]
    assert loaded.encoding == "GB18030"
    points = loaded.gdf
    truth = _csv("service_points_wgs84.csv")
    assert len(points) == SUMMARY["counts"]["service_points"] == 45
    assert list(points[s.NAME]) == [r["名称"] for r in truth]
    _, _, dist = GEOD.inv(points.geometry.x.to_numpy(), points.geometry.y.to_numpy(),
                          [float(r["lon_wgs84"]) for r in truth], [float(r["lat_wgs84"]) for r in truth])
    assert np.max(np.abs(dist)) < 1.0
    assert points[s.POINT_TYPE].value_counts().to_dict() == SUMMARY["service_points"]["per_type"]


def test_service_points__each_inside_the_community_and_grid_truth_names(kit):
    points = kit["layers"][s.SERVICE_POINTS]
    truth = _csv("service_points_wgs84.csv")
    communities = kit["layers"][s.COMMUNITIES].set_index(s.CODE).geometry
    grids = kit["layers"][s.GRIDS].set_index(s.CODE).geometry
    for point, row in zip(points.geometry, truth):
        assert communities[row["社区代码"]].contains(point)
        assert grids[row["网格编码"]].contains(point)


# --- organisations: kept for later use ------------------------------------------------------------

def test_organisations__grids_served_resolved_within_the_community_as_truth_says(kit):
    from geo.organisations import GRID_CODES, read_organisations

    result = read_organisations(KIT / "rosters" / "organisations.xlsx", grids=kit["layers"][s.GRIDS],
                                communities=kit["layers"][s.COMMUNITIES])
    truth = _csv("organisations_truth.csv")
    table = result.table
    assert result.findings == []
    assert len(table) == 42
    assert [set(g.split(";")) for g in table[GRID_CODES]] == [set(r["网格编码"].split(";")) for r in truth]
    assert list(table[s.COMMUNITY_CODE]) == [r["社区代码"] for r in truth]
    assert list(table[s.PHONE]) == [r["电话规范"] for r in truth]


def test_organisations__sheet_read_with_every_row_and_type(kit):
    sheet = read_workbook(KIT / "rosters" / "organisations.xlsx").sheet()
    assert len(sheet.frame) == SUMMARY["counts"]["organisations"] == 42
    assert sheet.frame["类型"].value_counts().to_dict() == SUMMARY["organisations"]["per_type"]
    assert (sheet.frame["服务小区/网格名称"] == "全社区").sum() == SUMMARY["organisations"]["whole_community_rows"]


# --- the whole kit through the import command -------------------------------------------------------

@pytest.mark.slow
def test_import_command__the_whole_kit_into_one_project_with_no_id_number_in_clear(tmp_path, capsys):
    out = tmp_path / "锦澜.gpkg"
    boundaries, rosters = KIT / "boundaries", KIT / "rosters"
    code = main(["--lang", "en", "import", "--towns", str(boundaries / "towns_amap.geojson"), "--towns-crs", "gcj02",
                 "--communities", str(boundaries / "communities_amap.geojson"), "--communities-crs", "gcj02",
                 "--grids", str(boundaries / "grids_baidu.geojson"), "--grids-crs", "bd09",
                 "--households", str(boundaries / "buildings_cgcs2000_gk.zip"),
                 "--service-points", str(rosters / "service_points_baidu.csv"), "--service-points-crs", "bd09",
                 "--roster", str(ROSTER), "--organisations", str(rosters / "organisations.xlsx"),
                 "--out", str(out)])
    assert code == 0  # slivers from rounding two offset systems to 6 decimals are infos (check.sliver), not errors
    assert "12 parent codes (communities.town_code) were inferred by largest overlap" in capsys.readouterr().out
    project = load_project(out)
    assert {k: len(v) for k, v in project.layers.items()} == {
        s.TOWNS: 3, s.COMMUNITIES: 12, s.GRIDS: 212, s.HOUSEHOLDS: 938, s.SERVICE_POINTS: 45, s.VOLUNTEERS: 250}
    levels = project.layer(s.GRIDS)[s.LEVEL].value_counts().to_dict()
    assert levels == {s.LEVEL_MICRO: SUMMARY["counts"]["micro_grids"], s.LEVEL_GENERAL: SUMMARY["counts"]["general_grids"]}
    grid_codes = set(project.layer(s.GRIDS)[s.CODE])
    assert set(project.table(s.ASSIGNMENTS)[s.GRID_CODE]) <= grid_codes  # 网格长/专职网格员 rows name real grids
    assert len(project.table(s.ASSIGNMENTS)) == 250
    assert len(project.table("organisations")) == 42
    communities = project.layer(s.COMMUNITIES)  # parents inferred by overlap and written (geo.hierarchy)
    assert dict(zip(communities[s.CODE], communities[s.TOWN_CODE])) == {
        c["code"]: c["town_code"] for c in SUMMARY["communities"]}
    assert project.meta["id_salt"]
    data = out.read_bytes()
    ids = [r["身份证号规范"] for r in _csv("roster_truth.csv") if r["身份证号规范"]]
    ids += [b["身份证号"] for b in SUMMARY["roster"]["bad_checksum"]] + [SUMMARY["roster"]["lowercase_x"]["身份证号"]]
    assert len(ids) == 251
    assert not any(i.encode() in data for i in ids)
