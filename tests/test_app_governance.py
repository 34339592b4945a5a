"""AppTest on the 锦澜市 field kit with organisations, projects and self-governance: panel, kind edit, dashboard."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.explore import Selection, unit_panel_figures
from geo.messages import t
from geo.numbers import count_text
from geo.project import load_project, save_project
from geo.rollup import unit_figures
from tests.fieldkit import COMM, GRID, TOWN, governance_project
from tests.app_login import signed_in
from ui import state

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gov") / "kit.gpkg"
    save_project(governance_project(), path)
    return path


def _page(path: Path, page: str, **session) -> AppTest:
    at = signed_in(AppTest.from_file(str(ROOT / "ui" / "pages" / page), default_timeout=90))
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    return at


OPEN_TABLES = {state.EXPLORE_GOV_ORGS: True, state.EXPLORE_GOV_PROJECTS: True, state.EXPLORE_GOV_SELFGOV: True}


def test_explore__governance_tables_are_built_only_when_their_expander_is_opened(project_file):
    at = _page(project_file, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM})
    at.run()
    assert not at.exception
    titles = [e.label for e in at.expander]
    for key in ("ui.gov.organisations", "ui.gov.projects", "ui.gov.selfgov"):
        assert any(title.startswith(t(key, "zh") + " (") for title in titles), key
    columns = {c for df in at.dataframe for c in df.value.columns}
    assert not columns & {t("col.org_name", "zh"), t("col.project_name", "zh"), t("col.selfgov_bodies", "zh")}
    at.session_state[state.EXPLORE_GOV_ORGS] = True  # the planner opens the organisations
    at.run()
    columns = {c for df in at.dataframe for c in df.value.columns}
    assert t("col.org_name", "zh") in columns and t("col.project_name", "zh") not in columns


def test_explore__grid_panel_lists_organisations_masked_projects_and_self_governance(project_file):
    at = _page(project_file, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM,
                                              state.SELECTED_GRID: GRID, **OPEN_TABLES})
    at.run()
    assert not at.exception
    frames = {tuple(df.value.columns): df.value for df in at.dataframe}
    orgs = frames[next(k for k in frames if t("col.org_name", "zh") in k)]
    assert "锦澜鑫桂物业服务有限公司" in set(orgs[t("col.org_name", "zh")])
    assert orgs[t("ui.col.phone", "zh")].str.contains(r"\*\*\*\*").all()
    assert "17000005082" not in json.dumps(orgs.astype(str).to_numpy().tolist())
    prj = frames[next(k for k in frames if t("col.project_name", "zh") in k)]
    assert sorted(prj[t("col.project_name", "zh")]) == ["望江主题社区", "望江微更新"]
    sg = frames[next(k for k in frames if t("col.selfgov_bodies", "zh") in k)]
    assert sg[t("col.selfgov_bodies_names", "zh")].tolist() == ["议事会、院委会"]
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    script = args["script"] + (args.get("feature_group") or "")  # the base map and the view's layers
    assert json.dumps("望江微更新")[1:-1] in script  # the project on the map (names JSON-escaped)
    assert "17000005082" not in script and json.dumps("锦澜鑫桂物业")[1:-1] not in script  # no organisation sent


def test_explore__kind_edit_saves_the_grid_kind_and_an_audit_row(project_file, tmp_path):
    path = tmp_path / "edit.gpkg"
    path.write_bytes(project_file.read_bytes())
    at = _page(path, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM,
                                      state.SELECTED_GRID: GRID})
    at.run()
    at.selectbox(key=f"{state.EXPLORE_KIND_EDIT}_{GRID}").set_value("院落").run()
    assert not at.exception
    saved = load_project(path)
    grids = saved.layer(s.GRIDS)
    assert grids.loc[grids[s.CODE] == GRID, s.KIND].iloc[0] == "院落"
    audit = saved.table(s.AUDIT)
    assert audit.loc[audit["action"] == "unit_kind", ["object", "from", "to"]].values.tolist() == [[GRID, "小区", "院落"]]


def test_explore__colour_by_unit_kind_and_filter_by_kind(project_file):
    at = _page(project_file, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM,
                                              state.EXPLORE_METRIC: "unit_kind", state.EXPLORE_UNIT_KINDS: ["林盘"]})
    at.run()
    assert not at.exception
    legend = " ".join(m.value for m in at.html)  # the legend: an st.html block
    assert "小区" in legend and "林盘" in legend and "院落" in legend
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert json.dumps("望江社区第1网格1号微网格")[1:-1] not in script  # the kit's micro-grids are 小区: filtered out


def test_dashboard__governance_figures_are_the_rollup_of_the_unit(project_file):
    project = load_project(project_file)
    want = unit_panel_figures(project, unit_figures(project, category="生活", radius_m=500),
                              Selection(town=TOWN, community=COMM))
    at = _page(project_file, "dashboard.py", **{state.DASH_TOWN: TOWN, state.DASH_COMMUNITY: COMM})
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("ui.gov.metric.organisations", "zh")] == count_text(want["organisations"]) != "0"
    assert metrics[t("ui.gov.metric.projects", "zh")] == t("ui.gov.projects_done", "zh", n="2", done="1")
    assert metrics[t("ui.gov.metric.selfgov", "zh")] == t("ui.gov.selfgov_counts", "zh", bodies="2", orgs="5",
                                                          conventions="3")
    assert metrics[t("ui.gov.metric.org_gaps", "zh")] == count_text(want["org_gaps"])
    tables = [df.value for df in at.dataframe]
    kinds = next(df for df in tables if t("col.unit_kind", "zh") in df.columns and len(df) == 4)
    assert kinds[t("ui.dash.households", "zh")].tolist()[0] == count_text(1501)  # every kit micro-grid is 小区
    gaps = next(df for df in tables if t("ui.col.code", "zh") in df.columns and t("col.unit_kind", "zh") in df.columns)
    assert len(gaps) == want["org_gaps"]


def test_dashboard__buildings_and_headless_buildings_are_the_rollup_per_unit_and_kind(project_file):
    project = load_project(project_file)
    figures = unit_figures(project, category="生活", radius_m=500)
    want = unit_panel_figures(project, figures, Selection(town=TOWN, community=COMM))
    at = _page(project_file, "dashboard.py", **{state.DASH_TOWN: TOWN, state.DASH_COMMUNITY: COMM})
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("ui.gov.metric.buildings", "zh")] == count_text(want["buildings"]) == count_text(73)
    assert metrics[t("ui.gov.metric.headless_buildings", "zh")] == count_text(want["headless_buildings"])
    kinds = next(df.value for df in at.dataframe
                 if t("col.unit_kind", "zh") in df.value.columns and len(df.value) == 4)
    assert kinds[t("ui.gov.metric.buildings", "zh")].tolist()[0] == count_text(73)  # every kit micro-grid is 小区


def test_explore__unit_panel_shows_buildings_and_headless_from_the_rollup(project_file):
    project = load_project(project_file)
    want = unit_figures(project, category="生活", radius_m=500).unit("community", COMM)
    at = _page(project_file, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM})
    at.run()
    assert not at.exception
    line = t("ui.gov.buildings_line", "zh", n=count_text(want["buildings"]),
             headless=count_text(want["headless_buildings"]))
    assert line in [c.value for c in at.caption]


def test_explore__grid_panel_building_table_lists_the_organisation_serving_a_building(tmp_path):
    import pandas as pd

    from geo.buildings import buildings_table

    project = governance_project()
    table = buildings_table(project)
    code = str(table.loc[table[s.NAME] == "凤鸣小区1栋", s.CODE].iloc[0])
    orgs = project.table(s.ORGANISATIONS)
    row = {**orgs.iloc[0].to_dict(), "org_id": "ORG0099", s.NAME: "凤鸣小区1栋服务站", s.GRID_CODES: GRID,
           "building_codes": code}
    path = tmp_path / "bld.gpkg"
    save_project(project.with_table(s.ORGANISATIONS, pd.concat([orgs, pd.DataFrame([row])], ignore_index=True)), path)
    at = _page(path, "explore.py", **{state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM,
                                      state.SELECTED_GRID: GRID, state.EXPLORE_BUILDINGS: True})
    at.run()
    assert not at.exception
    bld = next(df.value for df in at.dataframe if t("col.building_organisations", "zh") in df.value.columns)
    served = dict(zip(bld[t("col.building_name", "zh")], bld[t("col.building_organisations", "zh")]))
    assert served["凤鸣小区1栋"] == "凤鸣小区1栋服务站" and served["凤鸣小区2栋"] == ""


def test_explore__grid_tables_are_built_only_when_their_expander_is_open(tmp_path, monkeypatch):
    """A grid click does not walk the project's people and buildings for tables nobody opened; opened, the
    escalation chain lists the grid's steps (phones masked) and the buildings expander counts its buildings."""
    import geo.explore

    project = governance_project()
    path = tmp_path / "kit.gpkg"
    save_project(project, path)
    built: list[str] = []
    for name in ("building_rows", "chain_rows"):
        real = getattr(geo.explore, name)
        monkeypatch.setattr(geo.explore, name, lambda *a, _real=real, _name=name, **k: built.append(_name) or _real(*a, **k))
    view = {state.SELECTED_TOWN: TOWN, state.SELECTED_COMMUNITY: COMM, state.SELECTED_GRID: GRID}
    at = _page(path, "explore.py", **view)
    at.run()
    assert not at.exception and built == []
    want = unit_panel_figures(project, unit_figures(project), Selection(TOWN, COMM, GRID))
    assert f"{t('explore.buildings', 'zh')} ({count_text(want['buildings'])})" in [e.label for e in at.expander]
    at = _page(path, "explore.py", **view, **{state.EXPLORE_CHAIN: True})
    at.run()
    assert not at.exception and built == ["chain_rows"]
    chain = next(df.value for df in at.dataframe if t("col.chain_step", "zh") in df.value.columns)
    assert len(chain) and all("*" in p or p == "" for p in chain[t("ui.col.phone", "zh")])
