"""Attacks on roles and jurisdictions (issue #15): each case is refused with a named error or shows nothing
outside the attacker's units, by content, and leaves the project file as it was.

The attackers: a 社区 user of community 11 (``C11``), a 镇街 user of town 1 (``T1``) and viewers, on the
tiny project with hostile names (tests/app_fixtures.py), through the app (AppTest) and through ``geo``.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.access import (
    COMMUNITY, TOWN, VIEWER, Scope, load_scoped, require_edit, require_records, reveal, save_scoped, scoped,
)
from geo.errors import GeoInputError
from geo.export import ExportOptions, export_bytes
from geo.printdata import atlas_units, find_unit, map_page_data
from geo.project import load_project
from geo.records import make_record
from geo.roundtrip import diff_assignments
from geo.store import open_store
from tests.app_fixtures import COMM11, COMM12, COMM21, COMM22, TOWN1, TOWN2, save_hostile
from tests.app_login import signed_in
from tests.stores import make_location
from ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

C11 = Scope(role=COMMUNITY, level="community", code=COMM11, user="社区11")
T1 = Scope(role=TOWN, level="town", code=TOWN1, user="镇街1")
VIEW_C11 = Scope(role=VIEWER, level="community", code=COMM11, user="访客")
VIEW_ALL = Scope(role=VIEWER, user="市访客")
ADMIN = Scope(role="admin", user="管理员")
OTHER_TOWN = f"{COMM21}-G1"  # a general grid of town 2

# what nobody of community 11 may see: other units' codes, people's phones and names (tests/factories.py)
NOT_C11 = (COMM12, COMM21, COMM22, TOWN2, "13800001000", "13800010000", "13800011000", "测试2镇")
NOT_T1 = (COMM21, COMM22, TOWN2, "13800010000", "13800011000", "测试2镇")
PAGES = {"explore": None, "dashboard": "ui/pages/dashboard.py", "edit": "ui/pages/edit.py", "run": "ui/pages/run.py",
         "import": "ui/pages/import_wizard.py", "export": "ui/pages/export.py", "print": "ui/pages/print.py"}


@dataclass
class Ctx:
    """One attack's project file (a fresh copy of the hostile tiny project) and its folder."""

    path: Path
    tmp: Path


# --- what a page shows ---------------------------------------------------------------------------

def page(ctx: Ctx, name: str, scope: Scope | None, *, query: dict | None = None, **session) -> AppTest:
    """Run the app as ``scope`` (None: no signed-in user) with tampered ``session`` keys, on page ``name``."""
    at = AppTest.from_file(APP, default_timeout=90)
    if scope is not None:  # signed in as the login page does (tests/app_login.py)
        signed_in(at, name=scope.user or "user", role=scope.role, level=scope.level, code=scope.code)
    at.session_state[state.PROJECT_PATH] = str(ctx.path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    if PAGES[name]:
        at.switch_page(PAGES[name]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    """Every text, table, option and map payload the page sent to the browser."""
    parts = [_unescaped(c.proto.json_args) for c in at.get("component_instance")]
    for kind in ("markdown", "caption", "text", "title", "header", "subheader", "info", "warning", "error",
                 "success", "code", "json", "latex", "html"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value.to_csv() for e in at.dataframe] + [e.value.to_csv() for e in at.table]
    for kind in ("selectbox", "multiselect", "radio"):
        parts += [" ".join(map(str, e.options)) for e in getattr(at, kind)]
    return "\n".join(parts)


def _unescaped(text: str) -> str:
    """JSON text with its ``\\uXXXX`` escapes (at any depth of quoting) as the characters they stand for."""
    for _ in range(3):
        text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text


def assert_nothing_of(text: str, forbidden: tuple[str, ...]) -> None:
    leaked = [f for f in forbidden if f in text]
    assert not leaked, f"outside the scope: {leaked}"


def refused(at: AppTest, code: str) -> None:
    from geo.messages import t

    texts = [e.value for e in at.error]
    want = t(code, "zh").split("：")[0]
    assert any(want in str(x) for x in texts), (code, texts)


def actions(at: AppTest) -> list:
    """The page's buttons besides signing out."""
    return [b for b in at.button if b.key != "logout"]


def xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None)


# --- the cases ------------------------------------------------------------------------------------

CASES: dict[str, Callable[[Ctx], None]] = {}


def case(func: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    CASES[func.__name__] = func
    return func


@case
def community_user_city_map(ctx):
    at = page(ctx, "explore", C11)
    text = shown(at)
    assert "测试1镇" in text  # their own units are there (their town, the parent of their community)
    assert_nothing_of(text, NOT_C11)


@case
def community_user_tampers_selected_town_and_community(ctx):
    at = page(ctx, "explore", C11, **{state.SELECTED_TOWN: TOWN2, state.SELECTED_COMMUNITY: COMM21})
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_tampers_selected_grid(ctx):
    at = page(ctx, "explore", C11, **{state.SELECTED_TOWN: TOWN2, state.SELECTED_COMMUNITY: COMM21,
                                      state.SELECTED_GRID: OTHER_TOWN})
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_tampers_query_params(ctx):
    at = page(ctx, "explore", C11, query={"community": COMM21, "town": TOWN2, "grid": OTHER_TOWN, "scope": "admin"})
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_clicks_another_town_on_the_map(ctx):
    at = page(ctx, "explore", C11)
    towns = load_project(ctx.path).layer(s.TOWNS)
    inside = shapely.point_on_surface(towns.loc[towns[s.CODE] == TOWN2].geometry.iloc[0])
    comp = at.get("component_instance")[0]
    at.session_state[comp.key] = {"last_object_clicked": {"lat": inside.y, "lng": inside.x}}
    at.run()
    assert at.session_state[state.SELECTED_TOWN] != TOWN2
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_searches_another_communitys_code(ctx):
    at = page(ctx, "explore", C11, **{state.EXPLORE_SEARCH: COMM21[:-2]})  # a prefix of their codes
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_searches_another_towns_name(ctx):
    at = page(ctx, "explore", C11, **{state.EXPLORE_SEARCH: "测试2"})
    assert_nothing_of(shown(at), NOT_C11)


@case
def shared_cache_admin_first_then_community_user(ctx):
    assert "测试2镇" in shown(page(ctx, "explore", ADMIN))  # the admin's map is complete (and now cached)
    view = {state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11}
    page(ctx, "explore", ADMIN, **view)
    assert_nothing_of(shown(page(ctx, "explore", C11)), NOT_C11)
    assert_nothing_of(shown(page(ctx, "explore", C11, **view)), NOT_C11)


@case
def shared_cache_town_user_first_then_community_user(ctx):
    town = page(ctx, "explore", T1, **{state.SELECTED_TOWN: TOWN1})
    assert "社区" in shown(town)  # the town view lists its communities
    assert_nothing_of(shown(town), NOT_T1)
    at = page(ctx, "explore", C11)
    assert_nothing_of(shown(at), NOT_C11)


@case
def shared_cache_community_user_first_then_admin_sees_all(ctx):
    page(ctx, "explore", C11)
    at = page(ctx, "explore", ADMIN)
    assert "测试2镇" in shown(at)  # the community user's narrowed map did not reach the admin either


@case
def no_signed_in_user_sees_no_data(ctx):
    at = page(ctx, "explore", None)
    assert_nothing_of(shown(at), (COMM11, TOWN1, "测试1镇", *NOT_C11))
    assert not at.get("component_instance")  # no map at all


@case
def community_user_dashboard(ctx):
    at = page(ctx, "dashboard", C11)
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_tampers_dashboard_town_and_community(ctx):
    at = page(ctx, "dashboard", C11, **{state.DASH_TOWN: TOWN2, state.DASH_COMMUNITY: COMM21})
    assert_nothing_of(shown(at), NOT_C11)


@case
def town_user_dashboard_rolls_up_all_its_communities(ctx):
    at = page(ctx, "dashboard", T1)
    text = shown(at)
    assert_nothing_of(text, NOT_T1)
    assert at.metric[0].value == "12"  # grids of town 1: both its communities (24 in the project)


@case
def viewer_opens_the_edit_page(ctx):
    at = page(ctx, "edit", VIEW_C11)
    refused(at, "scope.read_only")
    assert not actions(at)


@case
def viewer_opens_the_run_page(ctx):
    at = page(ctx, "run", VIEW_ALL)
    refused(at, "scope.read_only")
    assert not actions(at)


@case
def viewer_opens_the_import_wizard(ctx):
    at = page(ctx, "import", VIEW_ALL)
    refused(at, "scope.read_only")
    assert not actions(at) and not at.get("file_uploader")


@case
def community_user_opens_the_import_wizard(ctx):
    at = page(ctx, "import", C11)
    refused(at, "scope.whole_project_only")
    assert not at.get("file_uploader")


@case
def community_user_tampers_autogrid_communities(ctx):
    at = page(ctx, "run", C11, **{state.AUTOGRID_COMMUNITIES: [COMM21, COMM11]})
    assert_nothing_of(shown(at), NOT_C11)
    with pytest.raises(GeoInputError) as err:  # what the page asks before it grids the chosen communities
        require_edit(C11, load_project(ctx.path), communities=[COMM11, COMM21])
    assert err.value.context["code_outside"] == COMM21


@case
def community_user_edit_page_tampers_community_picker(ctx):
    at = page(ctx, "edit", C11, **{state.SELECTED_GRID: OTHER_TOWN})
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_exports_xlsx(ctx):
    at = page(ctx, "export", C11)
    at.button[0].click().run()
    data = at.session_state["export_prepared"][2]
    text = xlsx_text(data)
    assert COMM11 in text
    assert_nothing_of(text, NOT_C11)


@case
def community_user_exports_the_town_rollup(ctx):
    at = page(ctx, "export", C11)
    at.selectbox(key="export_level").set_value(next(o for o in at.selectbox(key="export_level").options
                                                    if "镇" in o or "town" in o.lower())).run()
    at.button[0].click().run()
    assert_nothing_of(xlsx_text(at.session_state["export_prepared"][2]), NOT_C11)


@case
def viewer_tampers_the_personal_export_checkbox(ctx):
    at = page(ctx, "export", VIEW_C11, **{"export_personal": True})
    at.button[0].click().run()
    text = xlsx_text(at.session_state["export_prepared"][2])
    assert "13800000000" not in text and "138****0000" in text  # masked: no personal data for a viewer


@case
def viewer_asks_geo_for_a_personal_export(ctx):
    options = ExportOptions(fmt="csv", include_personal=True, user="访客", scope=VIEW_C11)
    with pytest.raises(GeoInputError) as err:
        export_bytes(load_scoped(ctx.path, VIEW_C11), options)
    assert err.value.code == "scope.unmask_refused"


@case
def viewer_asks_to_see_personal_data(ctx):
    with pytest.raises(GeoInputError) as err:
        reveal(load_scoped(ctx.path, VIEW_ALL), VIEW_ALL, purpose="view")
    assert err.value.code == "scope.unmask_refused"


@case
def community_user_geo_export_holds_only_their_units(ctx):
    for fmt in ("xlsx", "csv", "geojson"):
        result = export_bytes(load_scoped(ctx.path, C11), ExportOptions(fmt=fmt))
        text = xlsx_text(result.data) if fmt == "xlsx" else result.data.decode("utf-8-sig")
        assert_nothing_of(text, NOT_C11)


@case
def community_user_print_page_unit_choices(ctx):
    at = page(ctx, "print", C11)
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_tampers_the_printed_unit(ctx):
    at = page(ctx, "print", C11, print_unit_map=COMM21)
    assert at.session_state["print_unit_map"] != COMM21
    assert_nothing_of(shown(at), NOT_C11)


@case
def community_user_prints_a_unit_outside_scope(ctx):
    with pytest.raises(GeoInputError) as err:
        find_unit(load_scoped(ctx.path, C11), COMM21)
    assert err.value.code == "print.unknown_unit"


@case
def community_user_prints_their_town_page(ctx):
    part = load_scoped(ctx.path, C11)
    data = map_page_data(part, find_unit(part, TOWN1), measure="staffing", category=None)
    text = json.dumps(_jsonable(data), ensure_ascii=False, default=str)
    assert_nothing_of(text, NOT_C11)


@case
def community_user_atlas_pages(ctx):
    part = load_scoped(ctx.path, C11)
    for level in ("town", "community", "grid"):
        codes = [u.code for u in atlas_units(part, level)]
        assert_nothing_of(" ".join(codes), NOT_C11)


@case
def viewer_saves(ctx):
    part = load_scoped(ctx.path, VIEW_C11)
    grids = part.layer(s.GRIDS).assign(**{s.NAME: "改"})
    with pytest.raises(GeoInputError) as err:
        save_scoped(part.with_layer(s.GRIDS, grids), ctx.path, VIEW_C11, expected_revision=part.revision)
    assert err.value.code == "scope.read_only"


@case
def community_user_saves_another_communitys_grid(ctx):
    whole = load_project(ctx.path)
    part = scoped(whole, C11)
    theirs = whole.layer(s.GRIDS)
    theirs = theirs[theirs[s.COMMUNITY_CODE] == COMM21].assign(**{s.NAME: "被改"})
    with pytest.raises(GeoInputError) as err:
        save_scoped(part.with_layer(s.GRIDS, pd.concat([part.layer(s.GRIDS), theirs])), ctx.path, C11,
                    expected_revision=part.revision)
    assert err.value.code == "store.out_of_scope"


@case
def community_user_saves_the_whole_project(ctx):
    whole = load_project(ctx.path)
    with pytest.raises(GeoInputError) as err:
        save_scoped(whole, ctx.path, C11, expected_revision=whole.revision)
    assert err.value.code == "scope.not_narrowed"


@case
def community_user_changes_the_project_settings(ctx):
    part = load_scoped(ctx.path, C11)
    with pytest.raises(GeoInputError) as err:
        save_scoped(part.with_settings(targets={"micro": 9}), ctx.path, C11, expected_revision=part.revision)
    assert err.value.code == "scope.whole_project_only"


@case
def community_user_switches_the_active_scenario(ctx):
    part = load_scoped(ctx.path, C11)
    record = make_record("switch_scenario", "战时", [], meta={"scenario": ["基线", "战时"]})
    with pytest.raises(GeoInputError) as err:
        require_records(C11, part, [record])
    assert err.value.code == "scope.whole_project_only"


@case
def community_user_edits_a_volunteer_of_another_community(ctx):
    whole = load_project(ctx.path)
    with pytest.raises(GeoInputError) as err:
        require_edit(C11, whole, volunteers=["V210"])
    assert err.value.code == "scope.out_of_scope" and err.value.context["code_outside"] == "V210"


@case
def community_user_round_trip_into_another_community(ctx):
    part = load_scoped(ctx.path, C11)
    edited = pd.DataFrame({s.GRID_CODE: [OTHER_TOWN], s.VOLUNTEER_ID: ["V110"], s.ROLE: ["worker"],
                           "_sheet": ["Sheet1"], "_row": [2]})
    diff = diff_assignments(part, edited)
    assert diff.problems and diff.is_empty  # a grid the user cannot see is an unknown grid


@case
def viewer_has_no_full_phone_button(ctx):
    at = page(ctx, "explore", VIEW_C11, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                                           state.EXPLORE_STAFF: True})  # the staff table shown
    assert at.dataframe and not [b for b in at.button if b.key and b.key.startswith("explore_reveal")]
    assert "13800000000" not in shown(at)


@pytest.mark.parametrize("hostile", ["' OR '1'='1", "510184001001' --", "*", "**", "%", "..", "\x00", "<img src=x>"])
def test_attack__hostile_unit_codes_hold_nothing(tmp_path, hostile):
    path = save_hostile(tmp_path / "p.gpkg")
    before = _fingerprint(path)
    for scope in (Scope(role=COMMUNITY, level="community", code=hostile, user="x"),
                  Scope(role=TOWN, level="town", code=hostile, user="x")):
        part = load_scoped(path, scope)
        assert all(len(part.layer(n)) == 0 for n in s.SPATIAL_LAYERS)
        assert len(part.table(s.ASSIGNMENTS)) == 0
    assert _fingerprint(path) == before


@pytest.mark.database
def test_attack__hostile_unit_codes_hold_nothing_in_postgis(tmp_path):
    location = make_location("postgis", tmp_path, "hostile")
    save_hostile_to = load_project(save_hostile(tmp_path / "p.gpkg"))
    from geo.project import save_project

    save_project(save_hostile_to, location)
    for code in ("' OR '1'='1", f"{COMM11}' OR _community IS NOT NULL --", "%", "*"):
        part = load_scoped(location, Scope(role=COMMUNITY, level="community", code=code, user="x"))
        assert all(len(part.layer(n)) == 0 for n in s.SPATIAL_LAYERS)
    assert len(load_project(location).layer(s.GRIDS)) == 24


@pytest.mark.database
def test_attack__a_scoped_save_in_postgis_keeps_others_rows(tmp_path):
    from geo.project import save_project

    location = make_location("postgis", tmp_path, "keep")
    save_project(load_project(save_hostile(tmp_path / "p.gpkg")), location)
    part = load_scoped(location, C11)
    grids = part.layer(s.GRIDS)
    save_scoped(part.with_layer(s.GRIDS, grids.iloc[:1]), location, C11, expected_revision=part.revision)
    after = load_project(location).layer(s.GRIDS)
    assert len(after) == 24 - (len(grids) - 1)  # only their own grids went
    assert set(after[s.COMMUNITY_CODE]) == {COMM11, COMM12, COMM21, COMM22}


def test_attack__a_scoped_save_in_a_geopackage_keeps_others_rows(tmp_path):
    path = save_hostile(tmp_path / "p.gpkg")
    part = load_scoped(path, C11)
    grids = part.layer(s.GRIDS)
    save_scoped(part.with_layer(s.GRIDS, grids.iloc[:1]), path, C11, expected_revision=part.revision)
    after = load_project(path).layer(s.GRIDS)
    assert len(after) == 24 - (len(grids) - 1)
    assert set(after[s.COMMUNITY_CODE]) == {COMM11, COMM12, COMM21, COMM22}


# --- the table ------------------------------------------------------------------------------------

def _jsonable(obj):
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _jsonable(getattr(obj, k)) for k in obj.__dataclass_fields__}
    if isinstance(obj, pd.DataFrame):
        return obj.drop(columns="geometry", errors="ignore").astype(str).to_dict("records")
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def _fingerprint(location) -> tuple:
    """The stored project as content: revision and every frame's rows (a read leaves it alone)."""
    project = open_store(location).load()
    frames = {n: f.drop(columns="geometry", errors="ignore") for n, f in {**project.layers, **project.tables}.items()
              if n != s.AUDIT}
    digest = hashlib.sha256("".join(f"{n}{f.astype(str).to_csv()}" for n, f in sorted(frames.items())).encode())
    return project.revision, digest.hexdigest(), len(project.table(s.AUDIT))


@pytest.mark.parametrize("name", list(CASES))
def test_attack(name, tmp_path):
    ctx = Ctx(path=save_hostile(tmp_path / "p.gpkg"), tmp=tmp_path)
    before = _fingerprint(ctx.path)
    CASES[name](ctx)
    assert _fingerprint(ctx.path) == before  # no data changed


def test_attack_list__has_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_attack__an_account_of_a_unit_not_in_the_project_sees_a_message_and_no_data(tmp_path):
    ctx = Ctx(path=save_hostile(tmp_path / "p.gpkg"), tmp=tmp_path)
    at = page(ctx, "explore", Scope(role=COMMUNITY, level="community", code="999999999999", user="x"))
    assert at.warning and not at.get("component_instance")
    assert_nothing_of(shown(at), (COMM11, "测试1镇", *NOT_C11))


def test_attack__full_phones_on_request_are_logged_and_only_their_own(tmp_path):
    path = save_hostile(tmp_path / "p.gpkg")
    at = page(Ctx(path, tmp_path), "explore", C11, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                                                      state.EXPLORE_STAFF: True})  # the staff expander open
    assert "13800000000" not in shown(at)  # masked until asked
    next(b for b in at.button if b.key and b.key.startswith("explore_reveal")).click().run()
    text = shown(at)
    assert "13800000000" in text
    assert_nothing_of(text, NOT_C11)
    audit = load_project(path).table(s.AUDIT)
    assert audit[audit["action"] == "personal_data"]["user"].tolist() == [C11.user]
