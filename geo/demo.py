"""The bundled Chongzhou demo: assemble the committed text files in ``data/chongzhou/`` into a project.

The files are built by ``scripts/build_demo.py`` (real names, codes and county outline;
generated, illustrative 示意 polygons, buildings, grids, volunteers and service points).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo import schema as s
from geo.assign import assign_points
from geo.buildings import POST, buildings_table
from geo.coverage import radii_from, service_reach, with_coverage
from geo.errors import GeoInputError
from geo.govprojects import LAYER_COLUMNS as PROJECT_COLUMNS
from geo.govprojects import grids_at
from geo.hierarchy import grid_tree
from geo.organisations import LEADER, ORG_ID
from geo.selfgov import KINDS as SELFGOV_KINDS
from geo.selfgov import ROW_ID as SELFGOV_ID
from geo.selfgov import UNIT_NAME
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
                 "1700000xxxx), service points: synthetic, illustrative (示意), scripts/build_demo.py; "
                 "organisations, governance projects and self-governance: synthetic, geo.demo.with_demo_governance "
                 "(project counts as the source article: 主题社区 13, 社区微更新 65, 特色消费场景 5, 社区花园 5, "
                 "社区运动角 9)",
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
    project = with_demo_governance(project)
    return project.with_settings(place_name=outline["name"], place_name_en=outline["name_en"],
                                 place_code=outline["adcode"], staffing=DEMO_STAFFING,
                                 grid_code_pattern=DEMO_CODE_PATTERN,
                                 rulesets=dict(s.DEFAULT_SETTINGS["rulesets"]), ruleset=NORMAL)


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


# the source article's counts of governance projects in Chongzhou
DEMO_PROJECT_COUNTS = {"主题社区": 13, "社区微更新": 65, "特色消费场景": 5, "社区花园": 5, "社区运动角": 9}
_STATUS_CYCLE = ("done", "done", "under_way", "planned")


def _every(items: list, n: int) -> list:
    """``n`` items spread evenly over ``items`` (in order): a deterministic sample."""
    if not items or n <= 0:
        return []
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, num=min(n, len(items))).round().astype(int)]


def demo_organisations(tree: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Synthetic organisations (示意): per community a 社会组织 and 自组织 for all its grids, a 物业 and an
    业委会 for its 小区 micro-grids (every other 业委会 left out: gaps to find), an 院委会 for its 院落,
    a 群团 (妇联) in every third community. Leaders 负责人N, fake phones 1700001xxxx."""
    micro = tree[tree[s.LEVEL] == s.LEVEL_MICRO]
    grids_of = {c: sorted(g.index) for c, g in micro.groupby(s.COMMUNITY_CODE)}
    kinds_of = {key: sorted(g.index) for key, g in micro.groupby([s.COMMUNITY_CODE, s.KIND])}
    rows = []
    for i, (code, name) in enumerate(zip(communities[s.CODE].astype(str), communities[s.NAME].astype(str))):
        mine = grids_of.get(code, [])
        if not mine:
            continue
        by_kind = {k: kinds_of.get((code, k), []) for k in s.MICRO_KINDS}
        plan = [(f"{name}社工服务站", "社会组织", "社会组织", mine), (f"{name}邻里互助队", "自组织", "自组织", mine)]
        if by_kind["小区"]:
            plan.append((f"{name}物业服务中心", "物业公司", "物业", by_kind["小区"]))
            if i % 2 == 0:
                plan.append((f"{name}业主委员会", "业委会", "业委会", by_kind["小区"][: max(1, len(by_kind["小区"]) // 2)]))
        if by_kind["院落"]:
            plan.append((f"{name}院落委员会", "院委会", "院委会", by_kind["院落"]))
        if i % 3 == 0:
            plan.append((f"{name}妇联执委", "妇联", "群团", mine))
        for org_name, kind, org_type, grids in plan:
            n = len(rows) + 1
            rows.append({ORG_ID: f"ORG{n:04d}", s.NAME: org_name, s.KIND: kind, s.ORG_TYPE: org_type,
                         s.COMMUNITY_CODE: code, s.GRID_CODES: ";".join(grids), LEADER: f"负责人{n}",
                         s.PHONE: f"1700001{n:04d}", s.ILLUSTRATIVE: True})
    return pd.DataFrame(rows)


def demo_projects(project: Project, tree: pd.DataFrame) -> gpd.GeoDataFrame:
    """Synthetic governance projects (示意) in the source article's numbers (``DEMO_PROJECT_COUNTS``).

    社区花园 and 社区运动角 at the demo's service points of that type (done); 主题社区 as the
    areas of evenly spread 社区; 社区微更新 and 特色消费场景 at evenly spread 院落/小区 micro-grids.
    """
    comms = project.layer(s.COMMUNITIES)
    grids = project.layer(s.GRIDS)
    points = project.layer(s.SERVICE_POINTS)
    rows: list[dict] = []

    def add(kind: str, geoms: list, names: list[str]) -> None:
        for j, (geom, name) in enumerate(zip(geoms, names)):
            n = len(rows) + 1
            status = "done" if kind in ("社区花园", "社区运动角") else _STATUS_CYCLE[j % len(_STATUS_CYCLE)]
            rows.append({s.PROJECT_ID: f"PRJ{n:04d}", s.NAME: name, s.KIND: kind, s.STATUS: status,
                         s.YEAR: 2020 + j % 4 if status != "planned" else 2024, "geometry": geom})

    for kind in ("社区花园", "社区运动角"):
        pts = points[points[s.POINT_TYPE] == kind].head(DEMO_PROJECT_COUNTS[kind])
        add(kind, list(pts.geometry), [f"{n}（项目）" for n in pts[s.NAME].astype(str)])
    urban = comms[comms.get(s.KIND, pd.Series("", index=comms.index)) == "社区"].sort_values(s.CODE)
    themed = _every(list(range(len(urban))), DEMO_PROJECT_COUNTS["主题社区"])
    add("主题社区", [urban.geometry.iloc[i] for i in themed], [f"{urban[s.NAME].iloc[i]}主题社区" for i in themed])
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO].sort_values(s.CODE)
    for kind, kinds in (("社区微更新", ("院落", "小区")), ("特色消费场景", ("小区",))):
        pool = micro[micro[s.KIND].isin(kinds)]
        picked = _every(list(range(len(pool))), DEMO_PROJECT_COUNTS[kind] + (7 if kind == "特色消费场景" else 0))
        picked = picked[7:] if kind == "特色消费场景" else picked  # not the same grids as the first 微更新
        geoms = list(shapely.point_on_surface(pool.geometry.iloc[picked].to_numpy()))
        add(kind, geoms, [f"{pool[s.NAME].iloc[i]}{kind}" for i in picked])
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=s.STORAGE_CRS)
    gdf[s.GRID_CODES] = grids_at(gdf.geometry, tree, grids)
    first = gdf[s.GRID_CODES].str.split(";").str[0]
    gdf[s.COMMUNITY_CODE] = first.map(tree[s.COMMUNITY_CODE])
    gdf[s.ILLUSTRATIVE] = True
    return gdf[[*PROJECT_COLUMNS, s.ILLUSTRATIVE, "geometry"]]


def demo_selfgov(tree: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Synthetic self-governance rows (示意), one per community for all its grids: 2–3 自治组织, 7–10
    自组织, 15–18 公约 (about the article's 350+, 1,400+ and 2,800+ over 172 communities)."""
    leaves = tree[tree["is_leaf"].astype(bool)]
    leaves_of = {c: sorted(g.index) for c, g in leaves.groupby(s.COMMUNITY_CODE)}
    rows = []
    for i, (code, name) in enumerate(zip(communities[s.CODE].astype(str), communities[s.NAME].astype(str))):
        mine = leaves_of.get(code, [])
        bodies = [f"{name}居民议事会", f"{name}环境治理委员会", f"{name}红白理事会"][: 2 + i % 2]
        rows.append({SELFGOV_ID: f"SG{i + 1:04d}", s.COMMUNITY_CODE: code, UNIT_NAME: "", s.GRID_CODES: ";".join(mine),
                     "selfgov_bodies": len(bodies), "selfgov_bodies_names": "、".join(bodies),
                     "self_orgs": 7 + i % 4, "self_orgs_names": "", "conventions": 15 + i % 4,
                     "conventions_names": f"{name}居民公约" + ("" if name.endswith("社区") else "、村规民约")})
    return pd.DataFrame(rows, columns=[SELFGOV_ID, s.COMMUNITY_CODE, UNIT_NAME, s.GRID_CODES,
                                       *[c for kv in SELFGOV_KINDS.items() for c in kv]])


def with_demo_governance(project: Project) -> Project:
    """The demo with synthetic organisations, governance projects and self-governance rows (all 示意)."""
    tree = grid_tree(project)
    comms = project.layer(s.COMMUNITIES).sort_values(s.CODE)
    return (project.with_table(s.ORGANISATIONS, demo_organisations(tree, comms))
            .with_layer(s.GOV_PROJECTS, demo_projects(project, tree))
            .with_table(s.SELFGOV, demo_selfgov(tree, comms)))


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
    saved = save_project(project, out)
    add_demo_accounts(saved, location=out)
    return saved


DEMO_PASSWORD = "demo1234"  # documented in the README and on the demo's login page: the demo only
DEMO_ADMIN, DEMO_TOWN, DEMO_COMMUNITY = "demo", "town-demo", "community-demo"


def add_demo_accounts(project: Project, *, location: str | Path) -> None:
    """The demo's documented logins (password ``DEMO_PASSWORD``): an admin, a 镇街 user and a 社区 user.

    The town and community are the first community (by code) and its town.
    """
    from geo.accounts import add_user
    from geo.hierarchy import community_towns

    comms = sorted(str(c) for c in project.layer(s.COMMUNITIES)[s.CODE])
    town = str(community_towns(project).get(comms[0]))
    add_user(location=location, name=DEMO_ADMIN, password=DEMO_PASSWORD, role="admin")
    add_user(location=location, name=DEMO_TOWN, password=DEMO_PASSWORD, role="town", code=town)
    add_user(location=location, name=DEMO_COMMUNITY, password=DEMO_PASSWORD, role="community", code=comms[0])
