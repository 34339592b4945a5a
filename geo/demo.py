"""The bundled Chongzhou demo: assemble the committed text files in ``data/chongzhou/`` into a project.

The files are built by ``scripts/build_demo.py`` (real names, codes and county outline;
generated, illustrative 示意 polygons, buildings, grids, volunteers and service points).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio

from geo import schema as s
from geo.coverage import radii_from, service_reach, with_coverage
from geo.errors import GeoInputError
from geo.project import Project, new_project, save_project
from geo.rulesets import EMERGENCY, NORMAL, run_ruleset, with_ruleset
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
    project = Project(layers=project.layers, tables=project.tables, meta=meta)
    return project.with_settings(place_name=outline["name"], place_name_en=outline["name_en"],
                                 place_code=outline["adcode"], staffing=DEMO_STAFFING,
                                 rulesets=dict(s.DEFAULT_SETTINGS["rulesets"]), ruleset=NORMAL)


def with_first_results(project: Project) -> Project:
    """The project with a first assignment and coverage run on default settings.

    The demo ships with them so the app opens on real staffing and coverage figures;
    planners re-run both with their own settings from the app or the CLI. The 战时 rule set
    is run too (after coverage: its 市 cadres go where coverage is worst), so the demo has a
    平时/战时 pair of scenarios; the project stays on 平时.
    """
    settings = project.settings
    options = StaffingOptions.from_settings(settings)
    project, _, _ = assign_project(project, options=options, max_distance_m=settings["max_distance_m"])
    radii = radii_from(project)
    project = with_coverage(project, service_reach(project, radii_m=radii),
                            meta={"distance": "euclidean", "radii_m": radii, "network_file": None, "corridor_m": None})
    project, _, _ = run_ruleset(project, EMERGENCY)
    return with_ruleset(project, NORMAL)


def write_demo_project(out: str | Path, *, data_dir: Path | None = None, analyse: bool = True) -> Project:
    """Assemble the demo (with first results unless ``analyse=False``) and save it atomically at ``out``."""
    project = load_demo_project(data_dir=data_dir)
    if analyse:
        project = with_first_results(project)
    out = Path(out)
    if out.exists():
        out.unlink()  # a fresh demo, not a new revision of an edited one
    return save_project(project, out)
