"""Session-state keys (widget ``key=`` values reuse them) and the one ``init_state``."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from geo.store import is_database_url

LANG = "lang"  # "zh" | "en"
PROJECT_PATH = "project_path"  # str: the project .gpkg being worked on
ACCOUNT = "account"  # geo.accounts.User of the signed-in user (set by the login page, issue #15)
SCOPE = "scope"  # geo.access.Scope the signed-in user acts in (set by the login page; read by every page)
ACCOUNT_CHECKED = "account_checked"  # time.time() the account was last read back from the store (ui/login.py)
LAST_SEEN = "last_seen"  # time.time() of the signed-in user's last run (idle timeout, ui/login.py)
LOGIN_NOTICE = "login_notice"  # catalogue key shown once on the login page (expired, signed out, project changed)
SELECTED_TOWN = "selected_town"  # town code or None
SELECTED_COMMUNITY = "selected_community"  # community code or None
SELECTED_GRID = "selected_grid"  # grid code or None
WORKING_TOWN = "working_town"  # the town picker of a city-size project's pages (ui.common.working_part)
WORKING_NOTE = "working_note"  # the RUN the unit worked on was last named in (named once per run)
RUN = "run"  # counts the app's script runs (app.py)
BASEMAP = "basemap"  # "none" | "osm" | "tianditu" | "amap"
TIANDITU_KEY = "tianditu_key"
SCENARIO = "scenario"

_ENV_PROJECT = os.environ.get("GRIDATLAS_PROJECT", "build/demo.gpkg")  # a .gpkg path or a postgresql:// URL
DEFAULT_PROJECT = _ENV_PROJECT if is_database_url(_ENV_PROJECT) else Path(_ENV_PROJECT)

_DEFAULTS = {
    LANG: "zh", PROJECT_PATH: str(DEFAULT_PROJECT), SELECTED_TOWN: None,
    SELECTED_COMMUNITY: None, SELECTED_GRID: None, BASEMAP: "none", TIANDITU_KEY: "", SCENARIO: None,
}


def init_state() -> None:
    """Set every session key to its default once per session (the language from ``?lang=`` if given)."""
    if LANG not in st.session_state and st.query_params.get(LANG) in ("zh", "en"):
        st.session_state[LANG] = st.query_params[LANG]
    for key, value in _DEFAULTS.items():
        st.session_state.setdefault(key, value)


def remember_lang() -> None:
    """Keep the chosen language in the URL (``?lang=en``) so a reload or a shared link keeps it."""
    st.query_params[LANG] = st.session_state[LANG]


def lang() -> str:
    """The current UI language."""
    return st.session_state.get(LANG, "zh")


def account_name() -> str:
    """The signed-in account's name: the ``user`` of every audit row the app writes."""
    account = st.session_state.get(ACCOUNT)
    return str(getattr(account, "name", "") or "")


def sign_out(notice: str | None = None) -> None:
    """Forget the signed-in account and its scope (logout, idle timeout, another project)."""
    for key in (ACCOUNT, SCOPE, LAST_SEEN, ACCOUNT_CHECKED):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[LOGIN_NOTICE] = notice

# --- explore/dashboard widget keys (widgets set their own defaults) ------------
EXPLORE_METRIC = "explore_metric"
EXPLORE_CATEGORY = "explore_category"
EXPLORE_RADIUS = "explore_radius"
EXPLORE_LEVELS = "explore_levels"
EXPLORE_VOLUNTEERS = "explore_volunteers"
EXPLORE_POINTS = "explore_points"
EXPLORE_POINT_TYPES = "explore_point_types"
EXPLORE_RADII = "explore_radii"
EXPLORE_PROBLEMS = "explore_problems"
EXPLORE_SEARCH = "explore_search"
EXPLORE_UNIT_KINDS = "explore_unit_kinds"  # micro-grid kinds shown (小区/林盘/院落/none)
EXPLORE_PROJECTS = "explore_projects"  # governance projects shown
EXPLORE_KIND_EDIT = "explore_kind_edit"  # the unit-kind select of the grid panel
EXPLORE_LAST_CLICK = "explore_last_click"  # the map click already handled: (lat, lng)
# lazy expanders of the side panel (open: their table is built and sent; they stay open across views)
EXPLORE_STAFF = "explore_staff"
EXPLORE_GOV_ORGS = "explore_gov_orgs"
EXPLORE_GOV_PROJECTS = "explore_gov_projects"
EXPLORE_GOV_SELFGOV = "explore_gov_selfgov"
EXPLORE_CHAIN = "explore_chain"
EXPLORE_BUILDINGS = "explore_buildings"
DASH_TOWN = "dash_town"
DASH_COMMUNITY = "dash_community"

# --- run page: auto-gridding widget keys ---------------------------------------------------
AUTOGRID_TOWN = "autogrid_town"  # town helper: picking one selects all its communities
AUTOGRID_COMMUNITIES = "autogrid_communities"  # community codes to grid
AUTOGRID_MICRO_MIN = "autogrid_micro_min"
AUTOGRID_MICRO_MAX = "autogrid_micro_max"
AUTOGRID_GENERAL_MIN = "autogrid_general_min"
AUTOGRID_GENERAL_MAX = "autogrid_general_max"
AUTOGRID_SEED = "autogrid_seed"
AUTOGRID_CONFIRM = "autogrid_confirm"  # the planner accepts that existing grids are replaced
AUTOGRID_RUN = "autogrid_run"
