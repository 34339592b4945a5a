"""The bundled Chongzhou demo: assemble the committed text files in ``data/chongzhou/`` into a project.

The files are built by ``scripts/build_demo.py`` (real names, codes and county outline;
generated, illustrative 示意 polygons, buildings, grids, volunteers and service points).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from geo import schema as s
from geo.assign import assign_points
from geo.buildings import POST, buildings_table
from geo.coverage import radii_from, service_reach, with_coverage
from geo.errors import GeoInputError
from geo.project import Project, new_project, save_project
from geo.staffing import StaffingOptions, assign_project

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "chongzhou"
DEMO_FILES = {
    s.TOWNS: "towns.geojson",
    s.COMMUNITIES: "communities.geojson",
    s.GRIDS: "grids.geojson",
    s.HOUSEHOLDS: "households.geojson",
    s.VOLUNTEERS: "volunteers.geojson",
    s.SERVICE_POINTS: "service_points.geojson",
}
DEMO_SOURCES = {
    "real": "county outline (Vonng/adcode, CC BY 4.0; GCJ-02 converted to WGS 84), 15 town and 172 "
            "community names and NBS codes (NBS 2021/2023 via liyanjie2048/AdministrativeDivisionCn, "
            "modood/Administrative-divisions-of-China), 2016 township points; see data/chongzhou/source/PROVENANCE.md",
    "generated": "town/community polygons, buildings and households, grids, volunteers (fake phones "
                 "1700000xxxx), service points: synthetic, illustrative (示意), scripts/build_demo.py",
}
# the demo's own rules: nobody leads two micro-grids (geo.edits.find_violations "two_micro_leader")
DEMO_STAFFING = {"one_leadership": True}
# the demo's grids carry <community>-Gnn-Mnn codes: new grids (split, merge, re-grid) follow that pattern
DEMO_CODE_PATTERN = {"general": "{community}-G{general:02d}", "micro": "{community}-G{general:02d}-M{micro:02d}"}


def demo_path(name: str, *, data_dir: Path | None = None) -> Path:
    """Path of a bundled demo file by layer name (e.g. ``"grids"``) or file name.

    Raises
    ------
    GeoInputError
        Code ``demo.unknown_file`` listing the valid names.
    """
    base = data_dir or DEMO_DIR
    fname = DEMO_FILES.get(name, name)
    path = base / fname
    if fname not in DEMO_FILES.values() and not path.exists():
        msg = f"unknown demo file {name!r}"
        raise GeoInputError(msg, code="demo.unknown_file", name=name, valid=sorted(DEMO_FILES))
    return path


def read_demo_layer(name: str, *, data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """One demo layer in WGS 84, text columns kept as text (codes keep their digits)."""
    path = demo_path(name, data_dir=data_dir)
    if not path.exists():
        msg = f"demo file {path} is missing"
        raise GeoInputError(msg, code="demo.missing_file", file=str(path))
    gdf = pyogrio.read_dataframe(path)
    for col in s.TEXT_COLUMNS:
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(object).where(gdf[col].notna(), None)
    if s.ILLUSTRATIVE in gdf.columns:
        gdf[s.ILLUSTRATIVE] = gdf[s.ILLUSTRATIVE].astype(bool)
    return gdf.set_crs(s.STORAGE_CRS, allow_override=True)


OUTLINE_FILE = "chongzhou_county_outline_wgs84.geojson"  # the place's own name and code


def load_demo_project(*, data_dir: Path | None = None) -> Project:
    """The demo as an in-memory project (all layers, illustrative metadata, ``DEMO_STAFFING`` settings)."""
    base = data_dir or DEMO_DIR
    project = new_project()
    for name in DEMO_FILES:
        project = project.with_layer(name, read_demo_layer(name, data_dir=base))
    summary_path = base / "build_summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    meta = {
        **project.meta,
        "name": "崇州市示意数据 Chongzhou demo (illustrative)",
        "demo": True,
        "illustrative": True,
        "illustrative_note": {"zh": "示意数据：镇街与社区名称、代码及市界为真实数据，其余多边形、户数、网格、人员与服务点均为生成的示意数据。",
                              "en": "Illustrative data: town and community names, codes and the county outline "
                                    "are real; all other polygons, households, grids, people and service points "
                                    "are generated."},
        "sources": {"demo": DEMO_SOURCES},
        "demo_build": summary,
    }
    outline = json.loads((base / "source" / OUTLINE_FILE).read_text(encoding="utf-8"))["features"][0]["properties"]
    project = with_demo_buildings(Project(layers=project.layers, tables=project.tables, meta=meta))
    return project.with_settings(place_name=outline["name"], place_name_en=outline["name_en"],
                                 place_code=outline["adcode"], staffing=DEMO_STAFFING,
                                 grid_code_pattern=DEMO_CODE_PATTERN)


def with_demo_buildings(project: Project) -> Project:
    """The demo's buildings named (社区 + number + 栋), addressed, placed in their micro-grid with its kind,
    and one 楼栋长 per micro-grid that has residents (the first volunteer living there heads its largest
    building); every second person agrees to show their phone on notice boards. All illustrative.
    """
    bld = buildings_table(project)
    comms = project.layer(s.COMMUNITIES)
    towns = project.layer(s.TOWNS)
    comm_name = dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str)))
    comm_town = dict(zip(comms[s.CODE].astype(str), comms[s.TOWN_CODE].astype(str)))
    town_name = dict(zip(towns[s.CODE].astype(str), towns[s.NAME].astype(str)))
    number = bld[s.CODE].astype(str).str.extract(r"(\d+)$")[0].astype(float).fillna(0).astype(int)
    community = bld[s.COMMUNITY_CODE].astype(str)
    bld[s.NAME] = [f"{comm_name.get(c, '')}{n}栋" for c, n in zip(community, number)]
    bld[s.ADDRESS] = [f"{town_name.get(comm_town.get(c, ''), '')}{comm_name.get(c, '')}{n}栋（示意）"
                      for c, n in zip(community, number)]
    vols = project.layer(s.VOLUNTEERS).copy()
    grids = project.layer(s.GRIDS)
    home = assign_points(vols, grids[grids[s.LEVEL] == s.LEVEL_MICRO], id_col=s.VOLUNTEER_ID, max_distance_m=0.0)
    largest = bld.sort_values([s.HOUSEHOLDS_N, s.CODE], ascending=[False, True]).drop_duplicates(s.GRID_CODE)
    largest = dict(zip(largest[s.GRID_CODE], largest[s.CODE].astype(str)))
    first = home[home[s.GRID_CODE].isin(largest)].sort_values(s.VOLUNTEER_ID).drop_duplicates(s.GRID_CODE)
    heads = vols[s.VOLUNTEER_ID].isin(first[s.VOLUNTEER_ID]).to_numpy()
    vols[POST] = np.where(heads, s.BUILDING_POSTS[0], None)
    vols[s.BUILDING_CODE] = vols[s.VOLUNTEER_ID].map(dict(zip(first[s.VOLUNTEER_ID], first[s.GRID_CODE].map(largest))))
    vols[s.BUILDING_CODE] = vols[s.BUILDING_CODE].astype(object).where(vols[s.BUILDING_CODE].notna(), None)
    vols[s.PHONE_CONSENT] = np.arange(len(vols)) % 2 == 0
    return project.with_layer(s.BUILDINGS, bld).with_layer(s.VOLUNTEERS, vols)


def with_first_results(project: Project) -> Project:
    """The project with a first assignment and coverage run on default settings.

    The demo ships with them so the app opens on real staffing and coverage figures;
    planners re-run both with their own settings from the app or the CLI.
    """
    settings = project.settings
    options = StaffingOptions.from_settings(settings)
    project, _, _ = assign_project(project, options=options, max_distance_m=settings["max_distance_m"])
    radii = radii_from(project)
    return with_coverage(project, service_reach(project, radii_m=radii),
                         meta={"distance": "euclidean", "radii_m": radii, "network_file": None, "corridor_m": None})


def write_demo_project(out: str | Path, *, data_dir: Path | None = None, analyse: bool = True) -> Project:
    """Assemble the demo (with first results unless ``analyse=False``) and save it atomically at ``out``."""
    project = load_demo_project(data_dir=data_dir)
    if analyse:
        project = with_first_results(project)
    out = Path(out)
    if out.exists():
        out.unlink()  # a fresh demo, not a new revision of an edited one
    return save_project(project, out)
