"""One truth: every town and community shows the same households, grids, staffing and coverage on every surface.

The five surfaces are the Explore panel, the Dashboard (run as a Streamlit page), the XLSX export,
the print data of the atlas pages and the command line roll-up (``export --format csv --level``).
They are compared on the 锦澜市 field kit (micro-grids directly under communities, and with
general grids), on generated hierarchies (hypothesis) and on the demo, before and after switching
the active scenario.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import schema as s
from geo.coverage import service_reach, with_coverage
from geo.explore import Selection, unit_panel_figures
from geo.export import ExportOptions, export_bytes
from geo.hierarchy import complete_hierarchy
from geo.messages import label, t
from geo.numbers import count_text, share_text
from geo.printdata import map_page_data
from geo.project import Project, new_project, save_project
from geo.records import apply_record
from geo.rollup import unit_figures
from geo.scenarios import branch_scenario
from geo.staffing import StaffingOptions, assign_project
from tests.fieldkit import fieldkit_project, summary, volunteers_for
from tests.app_login import signed_in

FIGURES = ("households", "grids", "staffing", "coverage")
SERVED = ("organisations", "gov_projects", "projects_done", "selfgov_bodies", "self_orgs", "conventions", "org_gaps")
CATEGORY, RADIUS = "生活", 500
ROOT = Path(__file__).resolve().parents[1]


def analysed(project: Project, **options) -> Project:
    """``project`` with assignment (rules on) and coverage at 300/500/1000 m."""
    opts = StaffingOptions(max_distance_m=5000, one_leadership=True, prefer_same_community=True, **options)
    project, _, _ = assign_project(project, options=opts, max_distance_m=5000)
    return with_coverage(project, service_reach(project, radii_m=[300, 500, 1000]))


def units(project: Project) -> list[tuple[str, str]]:
    """(level, code) of every town and community."""
    return [("town", c) for c in project.layer(s.TOWNS)[s.CODE].astype(str)] + [
        ("community", c) for c in project.layer(s.COMMUNITIES)[s.CODE].astype(str)]


def _selection(project: Project, level: str, code: str) -> Selection:
    if level == "town":
        return Selection(town=code)
    comms = project.layer(s.COMMUNITIES).set_index(s.CODE)
    return Selection(town=str(comms.at[code, s.TOWN_CODE]), community=code)


# --- the surfaces -----------------------------------------------------------------------------

def explore_figures(project: Project) -> pd.DataFrame:
    figures = unit_figures(project, category=CATEGORY, radius_m=RADIUS)
    rows = {(lv, c): unit_panel_figures(project, figures, _selection(project, lv, c))[[*FIGURES, *SERVED]]
            for lv, c in units(project)}
    return pd.DataFrame(rows).T.astype(float)


def xlsx_figures(project: Project) -> pd.DataFrame:
    data = export_bytes(project, ExportOptions(fmt="xlsx")).data
    sheet = openpyxl.load_workbook(io.BytesIO(data))[t("export.sheet.summary", "zh")]
    rows = list(sheet.iter_rows(values_only=True))
    head = {h: i for i, h in enumerate(rows[0])}
    out = {}
    for row in rows[1:]:
        level = "town" if row[head[t("col.level", "zh")]] == label("level", "town", "zh") else "community"
        code = row[head[t("col.town_code" if level == "town" else "col.community_code", "zh")]]
        out[(level, str(code))] = {
            "households": row[head[t("col.households", "zh")]], "grids": row[head[t("col.grid_count", "zh")]],
            "staffing": row[head[t("col.staffing_share", "zh")]], "coverage": row[head[t("col.coverage_share", "zh")]],
            **{c: row[head[t(f"col.{c}", "zh")]] for c in SERVED}}
    return pd.DataFrame(out).T.astype(float)


def print_figures(project: Project) -> pd.DataFrame:
    out = {}
    pages = [("town", map_page_data(project, "city", measure="coverage", category=CATEGORY, radius_m=RADIUS))]
    pages += [("community", map_page_data(project, code, measure="coverage", category=CATEGORY, radius_m=RADIUS))
              for code in project.layer(s.TOWNS)[s.CODE].astype(str)]
    for level, page in pages:
        for _, child in page.children.iterrows():
            out[(level, str(child[s.CODE]))] = {f: child[f] for f in (*FIGURES, *SERVED)}
    return pd.DataFrame(out).T.astype(float)


def cli_figures(project: Project, tmp_path: Path) -> pd.DataFrame:
    from cli.main import main

    path = tmp_path / "consistency.gpkg"
    save_project(project, path)
    out = {}
    for level in ("town", "community"):
        csv = tmp_path / f"{level}.csv"
        assert main(["export", str(path), "--format", "csv", "--level", level, "--out", str(csv)]) == 0
        table = pd.read_csv(csv, dtype={t("col.town_code", "zh"): str, t("col.community_code", "zh"): str},
                            encoding="utf-8-sig")
        code_col = t("col.town_code" if level == "town" else "col.community_code", "zh")
        for _, row in table.iterrows():
            out[(level, str(row[code_col]))] = {
                "households": row[t("col.households", "zh")], "grids": row[t("col.grid_count", "zh")],
                "staffing": row[t("col.staffing_share", "zh")], "coverage": row[t("col.coverage_share", "zh")],
                **{c: row[t(f"col.{c}", "zh")] for c in SERVED}}
    return pd.DataFrame(out).T.astype(float)


def dashboard_texts(path: Path, project: Project) -> dict[tuple[str, str], dict[str, str]]:
    """The Dashboard page's metrics for every unit, as the planner reads them."""
    from streamlit.testing.v1 import AppTest

    from ui import state

    out = {}
    for level, code in units(project):
        sel = _selection(project, level, code)
        at = signed_in(AppTest.from_file(str(ROOT / "ui" / "pages" / "dashboard.py"), default_timeout=60))
        at.session_state[state.PROJECT_PATH] = str(path)
        at.session_state[state.DASH_TOWN] = sel.town or ""
        at.session_state[state.DASH_COMMUNITY] = sel.community or ""
        at.run()
        assert not at.exception
        metrics = {m.label: m.value for m in at.metric}
        out[(level, code)] = {
            "households": metrics[t("ui.dash.households", "zh")], "grids": metrics[t("ui.dash.grids", "zh")],
            "staffing": metrics[t("ui.dash.staffing_rate", "zh")],
            "coverage": metrics[t("ui.dash.coverage", "zh", radius=str(RADIUS))]}
    return out


def assert_same_everywhere(project: Project, tmp_path: Path, *, dashboard: bool = True) -> pd.DataFrame:
    """Compare all surfaces against the Explore panel; return the Explore figures."""
    expected = explore_figures(project)
    for name, got in (("xlsx", xlsx_figures(project)), ("print", print_figures(project)),
                      ("cli", cli_figures(project, tmp_path))):
        got = got.reindex(expected.index)
        for col in (*FIGURES, *SERVED):
            tol = 1e-4 if col in ("staffing", "coverage") else 0  # shares are stored with 4 decimals
            diff = ~np.isclose(got[col], expected[col], atol=tol, rtol=0, equal_nan=True)
            assert not diff.any(), f"{name} {col} differs:\n{pd.DataFrame({'got': got[col], 'want': expected[col]})[diff]}"
    if dashboard:
        path = tmp_path / "consistency.gpkg"
        for key, texts in dashboard_texts(path, project).items():
            want = expected.loc[key]
            assert texts == {"households": count_text(want["households"]), "grids": count_text(want["grids"]),
                             "staffing": share_text(want["staffing"]), "coverage": share_text(want["coverage"])}, key
    return expected


# --- the field kit ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fieldkit_analysed() -> Project:
    return analysed(fieldkit_project(volunteers=150))


def test_fieldkit__true_counts_reach_every_town_and_community(fieldkit_analysed):
    truth = summary()
    figures = unit_figures(fieldkit_analysed)
    towns = figures.get("town")
    for town in truth["towns"]:
        assert towns.at[town["code"], "households"] == town["households"]
        assert towns.at[town["code"], "grids_micro"] == town["micro_grids"]
    comms = figures.get("community")
    for comm in truth["communities"]:
        assert comms.at[comm["code"], "households"] == comm["households"]
        assert comms.at[comm["code"], "grids_micro"] == comm["micro_grids"]
    assert figures.get("city")["households"].iloc[0] == truth["counts"]["households"] == 12465
    assert towns["households"].tolist() == [6993, 3399, 2073]


def test_fieldkit__inferred_town_of_every_community_is_written_and_matches_its_code(fieldkit_analysed):
    comms = fieldkit_analysed.layer(s.COMMUNITIES)
    assert (comms["parent_source"] == "overlap").all()
    assert (comms[s.TOWN_CODE] == comms[s.CODE].str[:9] + "000").all()  # the README's cross-check


@pytest.mark.slow
def test_fieldkit__every_surface_shows_the_same_figures(fieldkit_analysed, tmp_path):
    expected = assert_same_everywhere(fieldkit_analysed, tmp_path)
    assert expected["households"].sum() == 2 * 12465  # towns and communities each add up to the city
    assert expected["staffing"].notna().all() and expected["coverage"].notna().all()


@pytest.mark.slow
def test_fieldkit__every_surface_follows_a_scenario_switch(fieldkit_analysed, tmp_path):
    record = branch_scenario(fieldkit_analysed, "少配方案")
    project = apply_record(fieldkit_analysed, record)
    rows = project.table(s.ASSIGNMENTS)
    qiyun = rows[s.GRID_CODE].astype(str).str.startswith("510197001001")  # empty 望江社区 in the new scenario
    project = project.with_table(s.ASSIGNMENTS, rows[~(qiyun & (rows[s.SCENARIO] == "少配方案")).to_numpy()])
    assert project.active_scenario == "少配方案"
    before = explore_figures(fieldkit_analysed)
    after = assert_same_everywhere(project, tmp_path)
    assert after.loc[("community", "510197001001"), "staffing"] == 0
    assert before.loc[("community", "510197001001"), "staffing"] > 0


def test_fieldkit__general_grids_do_not_double_count_households(tmp_path):
    project = analysed(fieldkit_project(general_grids=True, volunteers=200))
    expected = assert_same_everywhere(project, tmp_path, dashboard=False)
    comms = {c["code"]: c for c in summary()["communities"]}
    for (level, code), row in expected.iterrows():
        if level == "community":
            assert row["households"] == comms[code]["households"]
            assert row["grids"] == comms[code]["micro_grids"] + comms[code]["general_grids"]


def test_fieldkit__governance_counts_agree_on_every_surface(tmp_path):
    from tests.fieldkit import governance_project

    expected = assert_same_everywhere(analysed(governance_project()), tmp_path, dashboard=False)
    towns = expected.loc[[k for k in expected.index if k[0] == "town"]]
    assert towns["organisations"].sum() == 42  # the kit's 42 organisations each serve one town's grids
    assert expected.loc[("community", "510197001001"), ["gov_projects", "projects_done", "conventions"]].tolist() \
        == [2, 1, 3]
    assert expected["org_gaps"].sum() > 0


# --- generated hierarchies --------------------------------------------------------------------

@st.composite
def hierarchies(draw) -> Project:
    """Towns of communities of grids on a 1 km lattice, with the shapes offices send.

    Per community: micro-grids directly under it or under general grids, an optional dedicated
    grid, or no grid at all; grids may lack their town code or their community code (then only
    the parent chain or the overlap places them).
    """
    x0, y0 = 400_000.0, 3_400_000.0
    n_towns = draw(st.integers(1, 3))
    towns, comms, grids = [], [], []
    for ti in range(n_towns):
        t_code = f"5101970{ti + 1:02d}000"
        n_comm = draw(st.integers(1, 3))
        towns.append((t_code, f"镇{ti}", shapely.box(x0 + ti * 3000, y0, x0 + ti * 3000 + 3000, y0 + 1000 * n_comm)))
        for ci in range(n_comm):
            c_code = t_code[:9] + f"{ci + 1:03d}"
            cbox = shapely.box(x0 + ti * 3000, y0 + ci * 1000, x0 + ti * 3000 + 3000, y0 + ci * 1000 + 1000)
            comms.append((c_code, f"社区{ti}-{ci}", cbox))
            shape = draw(st.sampled_from(["micro_direct", "general", "empty", "dedicated"]))
            if shape == "empty":
                continue
            drop_town = draw(st.booleans())
            drop_comm = draw(st.booleans())
            for gi in range(3):
                gbox = shapely.box(cbox.bounds[0] + gi * 1000, cbox.bounds[1], cbox.bounds[0] + gi * 1000 + 1000,
                                   cbox.bounds[3])
                general = f"{c_code}{gi + 1:02d}"
                if shape == "general":
                    grids.append(dict(code=general, level=s.LEVEL_GENERAL, community=c_code, town=t_code, parent=c_code,
                                      hh=np.nan, geom=gbox))
                for mi in range(2):
                    mbox = shapely.box(gbox.bounds[0], gbox.bounds[1] + mi * 500, gbox.bounds[2],
                                       gbox.bounds[1] + mi * 500 + 500)
                    grids.append(dict(code=f"{general}{mi + 1:02d}", level=s.LEVEL_MICRO,
                                      community=None if drop_comm and shape == "general" else c_code,
                                      town=None if drop_town else t_code,
                                      parent=general if shape == "general" else None,
                                      hh=draw(st.integers(30, 100)), geom=mbox))
            if shape == "dedicated":
                grids.append(dict(code=f"{c_code}Z1", level=s.LEVEL_DEDICATED, community=c_code, town=None,
                                  parent=c_code, hh=draw(st.integers(0, 50)), geom=cbox.centroid.buffer(100)))
    utm = "EPSG:32648"

    def layer(rows, cols):
        return gpd.GeoDataFrame(pd.DataFrame([r[:-1] for r in rows], columns=cols),
                                geometry=[r[-1] for r in rows], crs=utm).to_crs(s.STORAGE_CRS)

    project = new_project()
    project = project.with_layer(s.TOWNS, layer(towns, [s.CODE, s.NAME]))
    project = project.with_layer(s.COMMUNITIES, layer(comms, [s.CODE, s.NAME]))  # town codes inferred
    if grids:
        gdf = gpd.GeoDataFrame({
            s.CODE: [g["code"] for g in grids], s.NAME: [g["code"] for g in grids], s.LEVEL: [g["level"] for g in grids],
            s.COMMUNITY_CODE: [g["community"] for g in grids], s.TOWN_CODE: [g["town"] for g in grids],
            s.PARENT_CODE: [g["parent"] for g in grids], s.HOUSEHOLDS_N: [g["hh"] for g in grids]},
            geometry=[g["geom"] for g in grids], crs=utm).to_crs(s.STORAGE_CRS)
        project = project.with_layer(s.GRIDS, gdf)
    points = gpd.GeoDataFrame({s.POINT_ID: ["P1", "P2"], s.NAME: ["站1", "站2"], s.POINT_TYPE: ["社区工作站"] * 2},
                              geometry=[shapely.Point(x0 + 500, y0 + 500), shapely.Point(x0 + 3500, y0 + 1500)],
                              crs=utm).to_crs(s.STORAGE_CRS)
    project = project.with_layer(s.SERVICE_POINTS, points)
    project = project.with_layer(s.VOLUNTEERS, volunteers_for(project.layer(s.COMMUNITIES),
                                                             n=draw(st.integers(2, 30)), seed=draw(st.integers(0, 99))))
    return complete_hierarchy(project)[0]


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(project=hierarchies())
def test_generated_hierarchies__every_surface_shows_the_same_figures(project, tmp_path_factory):
    if len(project.layer(s.GRIDS)) == 0:
        return
    project = analysed(project)
    expected = assert_same_everywhere(project, tmp_path_factory.mktemp("gen"), dashboard=False)
    grids = project.layer(s.GRIDS)
    leaves_hh = pd.to_numeric(grids.loc[grids[s.LEVEL] != s.LEVEL_GENERAL, s.HOUSEHOLDS_N]).fillna(0).sum()
    towns = expected.xs("town", level=0) if isinstance(expected.index, pd.MultiIndex) else expected.loc["town"]
    assert math.isclose(towns["households"].fillna(0).sum(), leaves_hh)  # every grid reaches its town


@settings(max_examples=25, deadline=None)
@given(project=hierarchies())
def test_generated_hierarchies__every_grid_reaches_a_town(project):
    figures = unit_figures(project, category=None).get("grid")
    assert figures[s.TOWN_CODE].notna().all()
    assert figures[s.COMMUNITY_CODE].notna().all()


# --- the demo ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_demo__every_surface_shows_the_same_figures(demo_project_file, tmp_path):
    from geo.project import load_project

    assert_same_everywhere(load_project(demo_project_file), tmp_path, dashboard=False)
