"""The hierarchy and topology check (geo.validate) on the tiny project and broken variants of it."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.validate import (
    ERROR, FINDING_COLUMNS, WARNING, check_layers, check_project, findings_table, has_errors,
    report_csv_bytes, summary_counts,
)
from tests.factories import tiny_layers
from tests.shapes import SHAPES, as_lonlat

UTM = "EPSG:32648"


def _edit(gdf: gpd.GeoDataFrame, code_col: str, code: str, func) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with the geometry of feature ``code`` replaced by ``func(geom_in_utm)``."""
    out = gdf.to_crs(UTM)
    i = out.index[out[code_col] == code][0]
    out.loc[i, "geometry"] = func(out.loc[i, "geometry"])
    return out.to_crs(s.STORAGE_CRS)


def _codes(report: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    return [(r.code, r.feature_id, r.related_id) for r in report.itertuples()]


def _only(report: pd.DataFrame, code: str) -> pd.DataFrame:
    return report[report["code"] == code]


def test_check_project__tiny_project_has_only_the_volunteer_outside_every_grid(tiny_project):
    report = check_project(tiny_project)
    assert list(report.columns) == [*FINDING_COLUMNS, "geometry"]
    assert _codes(report) == [("check.point_outside", "V000", "grids")]
    assert report.crs == s.STORAGE_CRS
    assert not has_errors(report)
    assert summary_counts(report) == {"errors": 0, "warnings": 1, "infos": 0}


def test_check_layers__does_not_mutate_inputs():
    layers = tiny_layers()
    before = {n: g.copy() for n, g in layers.items()}
    check_layers(layers)
    for name, gdf in layers.items():
        pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before[name]))


def test_check_layers__overlapping_siblings():
    layers = tiny_layers()
    # stretch the south micro-grid of C11-G1 20 m north into its sibling (both stay inside their parent)
    layers[s.GRIDS] = _edit(layers[s.GRIDS], s.CODE, "510184001001-G1-M1",
                            lambda g: shapely.box(*g.bounds[:3], g.bounds[3] + 20))
    report = check_layers(layers)
    overlaps = _only(report, "check.overlap")
    assert _codes(overlaps) == [("check.overlap", "510184001001-G1-M1", "510184001001-G1-M2")]
    assert overlaps["area_m2"].iloc[0] == pytest.approx(500 * 20, rel=1e-3)
    assert overlaps["severity"].iloc[0] == ERROR
    assert overlaps.geometry.iloc[0].geom_type == "Polygon"  # the problem spot is the shared area
    assert not len(_only(report, "check.sticks_out"))


def test_check_layers__overlap_below_tolerance_is_ignored():
    layers = tiny_layers()
    layers[s.GRIDS] = _edit(layers[s.GRIDS], s.CODE, "510184001001-G1-M1",
                            lambda g: shapely.union(g, shapely.box(g.bounds[0] + 10, g.bounds[3] - 1,
                                                                   g.bounds[0] + 15, g.bounds[3] + 5)))  # 25 m²
    assert not len(_only(check_layers(layers), "check.overlap"))
    assert len(_only(check_layers(layers, tolerance_m2=10), "check.overlap")) == 1


def test_check_layers__gap_between_siblings():
    layers = tiny_layers()
    layers[s.GRIDS] = _edit(layers[s.GRIDS], s.CODE, "510184001001-G1-M1",
                            lambda g: shapely.box(*g.bounds[:3], g.bounds[3] - 20))
    gaps = _only(check_layers(layers), "check.gap")
    assert _codes(gaps) == [("check.gap", "510184001001-G1", None)]
    assert gaps["area_m2"].iloc[0] == pytest.approx(500 * 20, rel=1e-3)
    assert gaps["layer"].iloc[0] == s.GRIDS


def test_check_layers__child_sticking_out_of_its_parent():
    layers = tiny_layers()
    layers[s.COMMUNITIES] = _edit(layers[s.COMMUNITIES], s.CODE, "510184001001",
                                  lambda g: shapely.box(g.bounds[0] - 30, *g.bounds[1:]))
    report = check_layers(layers)
    out = _only(report, "check.sticks_out")
    assert _codes(out) == [("check.sticks_out", "510184001001", "510184001000")]
    assert out["area_m2"].iloc[0] == pytest.approx(30 * 1000, rel=1e-3)
    # and the community now has 30 000 m² that none of its grids cover
    assert _codes(_only(report, "check.gap")) == [("check.gap", "510184001001", None)]


def test_check_layers__code_and_geometry_disagree():
    layers = tiny_layers()
    communities = layers[s.COMMUNITIES].copy()
    communities.loc[communities[s.CODE] == "510184001001", s.TOWN_CODE] = "510184002000"
    layers[s.COMMUNITIES] = communities
    report = check_layers(layers)
    assert _codes(_only(report, "check.parent_conflict")) == [
        ("check.parent_conflict", "510184001001", "510184002000")]
    assert _only(report, "check.parent_conflict")["detail"].iloc[0] == "510184001000"


def test_check_layers__unknown_parent_code():
    layers = tiny_layers()
    grids = layers[s.GRIDS].copy()
    grids.loc[grids[s.CODE] == "510184001001-G1-M1", s.PARENT_CODE] = "NOPE"
    layers[s.GRIDS] = grids
    assert _codes(_only(check_layers(layers), "check.unknown_parent")) == [
        ("check.unknown_parent", "510184001001-G1-M1", "NOPE")]


def test_check_layers__without_codes_parents_come_from_largest_overlap():
    layers = tiny_layers()
    layers[s.COMMUNITIES] = layers[s.COMMUNITIES].drop(columns=[s.TOWN_CODE])
    layers[s.GRIDS] = layers[s.GRIDS].drop(columns=[s.PARENT_CODE, s.COMMUNITY_CODE])
    report = check_layers(layers)
    assert not has_errors(report)


def test_check_layers__child_in_no_parent():
    layers = tiny_layers()
    communities = layers[s.COMMUNITIES].drop(columns=[s.TOWN_CODE])
    layers[s.COMMUNITIES] = _edit(communities, s.CODE, "510184002002",
                                  lambda g: shapely.affinity.translate(g, 50_000, 0))
    report = check_layers(layers)
    assert ("check.no_parent", "510184002002", None) in _codes(report)


def test_check_layers__duplicate_and_missing_ids():
    layers = tiny_layers()
    vols = layers[s.VOLUNTEERS].copy()
    vols.loc[1, s.VOLUNTEER_ID] = vols.loc[0, s.VOLUNTEER_ID]
    vols.loc[2, s.VOLUNTEER_ID] = None
    layers[s.VOLUNTEERS] = vols
    report = check_layers(layers, files={s.VOLUNTEERS: "志愿者.csv"})
    dup = _only(report, "check.duplicate_id")
    assert _codes(dup) == [("check.duplicate_id", "V110", None)]
    assert dup["detail"].iloc[0] == "#1, #2"
    assert dup["file"].iloc[0] == "志愿者.csv"
    assert _codes(_only(report, "check.missing_id")) == [("check.missing_id", "#3", None)]


@pytest.mark.parametrize(("shape", "code", "severity"), [
    ("bow_tie", "check.invalid_geometry", ERROR),  # Self-intersection
    ("hole_outside_shell", "check.invalid_geometry", ERROR),
    ("empty", "check.empty_geometry", ERROR),
    ("line", "check.unsupported_type", ERROR),
    ("square_3d", "check.has_z", WARNING),
])
def test_check_layers__bad_geometries_are_reported_by_feature(shape, code, severity):
    layers = tiny_layers()
    towns = layers[s.TOWNS].copy()
    towns.loc[0, "geometry"] = as_lonlat(SHAPES[shape]) if not SHAPES[shape].is_empty else SHAPES[shape]
    report = check_layers({s.TOWNS: towns})
    row = _only(report, code)
    assert list(row["feature_id"]) == ["510184001000"]
    assert list(row["severity"]) == [severity]


def test_check_layers__invalid_geometry_names_the_reason_and_spot():
    towns = tiny_layers()[s.TOWNS].copy()
    towns.loc[0, "geometry"] = as_lonlat(SHAPES["bow_tie"])
    row = _only(check_layers({s.TOWNS: towns}), "check.invalid_geometry").iloc[0]
    assert row["detail"].startswith("Self-intersection")
    assert row.geometry.geom_type == "Point"
    crossing = shapely.box(*as_lonlat(SHAPES["bow_tie"]).bounds).centroid
    assert row.geometry.distance(crossing) < 1e-6


def test_check_layers__null_geometry():
    towns = tiny_layers()[s.TOWNS].copy()
    towns.loc[1, "geometry"] = None
    assert _codes(_only(check_layers({s.TOWNS: towns}), "check.null_geometry")) == [
        ("check.null_geometry", "510184002000", None)]


def test_check_layers__point_far_outside_every_grid():
    layers = tiny_layers()
    points = layers[s.SERVICE_POINTS].to_crs(UTM)
    points.loc[0, "geometry"] = shapely.affinity.translate(points.loc[0, "geometry"], 0, 10_000)
    layers[s.SERVICE_POINTS] = points.to_crs(s.STORAGE_CRS)
    row = _only(check_layers(layers), "check.point_far_outside")
    assert list(row["feature_id"]) == ["P1001"]
    assert float(row["detail"].iloc[0]) == pytest.approx(9500, abs=1)


def test_check_layers__unknown_grid_level():
    layers = tiny_layers()
    grids = layers[s.GRIDS].copy()
    grids.loc[0, s.LEVEL] = "大网格"
    layers[s.GRIDS] = grids
    assert _codes(_only(check_layers(layers), "check.unknown_level"))[0][1] == "510184001001-G1"


def test_check_layers__community_without_grids_is_a_warning():
    layers = tiny_layers()
    layers[s.GRIDS] = layers[s.GRIDS][layers[s.GRIDS][s.COMMUNITY_CODE] != "510184002002"]
    rows = _only(check_layers(layers), "check.no_children")
    assert list(rows["feature_id"]) == ["510184002002"] and list(rows["severity"]) == [WARNING]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_findings_table__every_message_names_file_and_feature(lang):
    layers = tiny_layers()
    layers[s.GRIDS] = _edit(layers[s.GRIDS], s.CODE, "510184001001-G1-M1",
                            lambda g: shapely.box(*g.bounds[:3], g.bounds[3] + 20))
    report = check_layers(layers, files={s.GRIDS: "网格.geojson"})
    table = findings_table(report, lang)
    message_col = table.columns[2]
    overlap = table[table.iloc[:, 1] == "check.overlap"].iloc[0]
    assert "网格.geojson" in overlap[message_col] and "510184001001-G1-M1" in overlap[message_col]
    assert "{" not in "".join(table[message_col])  # every placeholder was filled


def test_report_csv_bytes__utf8_with_bom():
    data = report_csv_bytes(check_layers(tiny_layers()), "zh")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "要素编号" in data.decode("utf-8-sig").splitlines()[0]


def test_check__hairline_slivers_from_rounding_are_infos_real_gaps_stay_errors():
    import geopandas as gpd
    import shapely

    from geo import schema as s
    from geo.validate import check_layers

    utm = "EPSG:32648"
    town = gpd.GeoDataFrame({s.CODE: ["510197001000"], s.NAME: ["镇"]}, geometry=[shapely.box(0, 0, 4000, 2000)],
                            crs=utm)
    # two communities: the left one stops 5 cm short of the right one over a 2 km edge (100 m², 0.05 m wide)
    comms = gpd.GeoDataFrame({s.CODE: ["510197001001", "510197001002"], s.NAME: ["甲", "乙"],
                              s.TOWN_CODE: ["510197001000"] * 2},
                             geometry=[shapely.box(0, 0, 1999.95, 2000), shapely.box(2000, 0, 4000, 2000)], crs=utm)
    found = check_layers({s.TOWNS: town.to_crs(s.STORAGE_CRS), s.COMMUNITIES: comms.to_crs(s.STORAGE_CRS)})
    assert (found["severity"] == "error").sum() == 0
    assert "check.sliver" in set(found["code"])
    wide = comms.copy()
    wide.loc[0, "geometry"] = shapely.box(0, 0, 1997, 2000)  # a 3 m wide gap is a planning error
    found = check_layers({s.TOWNS: town.to_crs(s.STORAGE_CRS), s.COMMUNITIES: wide.to_crs(s.STORAGE_CRS)})
    assert "check.gap" in set(found.loc[found["severity"] == "error", "code"])


# --- bounded work on spike polygons -----------------------------------------------------------------

def _stars(n: int, vertices: int) -> list:
    import math
    import random

    rng = random.Random(3)
    stars = []
    for _ in range(n):
        cx, cy = rng.uniform(0, 1000), rng.uniform(0, 1000)
        ring = [(cx + (1000 if j % 2 == 0 else 50) * math.cos(2 * math.pi * j / vertices),
                 cy + (1000 if j % 2 == 0 else 50) * math.sin(2 * math.pi * j / vertices)) for j in range(vertices)]
        stars.append(shapely.Polygon(ring))
    return stars


def test_rough_outline__of_overlapping_spikes_is_valid_small_and_fast():
    import time

    from geo.hierarchy import rough_outline

    pile = shapely.MultiPolygon(_stars(60, 600))  # invalid: parts overlap
    started = time.process_time()
    outline = rough_outline(pile, max_vertices=500)
    assert time.process_time() - started < 2.0  # make_valid of the pile takes about a minute
    assert shapely.is_valid(outline) and shapely.get_num_coordinates(outline) < 2000


def test_tangled__spike_piles_yes_a_tessellation_no():
    from geo.hierarchy import tangled

    assert tangled(np.array(_stars(20, 600), dtype=object))
    cells = [shapely.Polygon([(x, y), (x + 10, y), (x + 10, y + 10), *[(x + 10 - k * 10 / 400, y + 10)
                                                                          for k in range(1, 400)], (x, y + 10)])
             for x in range(0, 200, 10) for y in range(0, 100, 10)]  # 200 detailed cells, side by side
    assert not tangled(np.array(cells, dtype=object))
