"""All Streamlit cache wrappers live here; ``geo`` knows nothing of caching.

Projects, simplified layers and figures are cached as shared resources (no copy per
rerun: unpickling the demo project costs ~0.2 s a time). They are read-only by
contract: ``geo`` functions return new frames and ``Project.with_*`` new projects.
"""
from __future__ import annotations

import importlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from geo.errors import GeoInputError
from geo.project import Project, load_project
from geo.store import is_database_url, open_store


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, stamp: int) -> Project:
    return load_project(path)


def cached_project(path: str | Path) -> Project:
    """The whole project at ``path``, cached on path and modification time (re-read after a save).

    Pages never show it as it is: they read ``cached_scoped_project`` (``ui.common.current_project``).
    """
    return _load(str(path), _stamp(path))


@st.cache_resource(max_entries=64, show_spinner=False)
def _scoped(path: str, stamp: int, scope) -> Project:
    from geo.access import scoped

    return scoped(_load(path, stamp), scope)


def cached_scoped_project(path: str | Path, scope) -> Project:
    """The project at ``path`` narrowed to ``scope`` (``geo.access.scoped``), once per saved version and unit
    and role (users of one unit and role share it)."""
    from dataclasses import replace

    return _scoped(str(path), _stamp(path), replace(scope, user=""))


def scope_key(project: Project) -> str:
    """Part of every shared cache key below: the scope ``project`` was narrowed to.

    The caches are shared by every session; keying them by scope keeps one user's map,
    panel and figures from reaching a session of another scope.
    """
    key = project.scope.key if project.scope is not None else "unscoped"
    unit = _PART_UNITS.get(id(project))
    return f"{key}|{unit}" if unit else key  # a view's part of a city-size project (``explore_project``)


# --- explore map and dashboard ---------------------------------------------------------
# The page loads the project once (``cached_project``) and passes it in; the cache key is
# the path and modification time, so a save invalidates these too.

def _stamp(path: str | Path) -> int:
    """The cache stamp of a project: its stored revision (and a file's inode: a file replaced as a whole).

    Not the file's modification time: signing in writes the account's last login into the
    file, and that must not throw away every session's maps and figures (ten planners signing
    in rebuilt them ten times). A file that is not a project (yet) is stamped by its mtime.
    """
    if is_database_url(path):
        return open_store(path).revision()
    p = Path(path)
    try:
        seen = _file_state(p)
    except FileNotFoundError:
        return 0
    known = _STAMPS.get(str(p))
    if known is not None and known[0] == seen:  # the file is as it was when last stamped: no need to open it
        return known[1]
    try:
        stamp = hash((seen[0], open_store(p).revision()))
    except (GeoInputError, sqlite3.DatabaseError):  # not a project, or not even a GeoPackage: the page says so
        stamp = seen[1]
    except FileNotFoundError:
        return 0
    _STAMPS[str(p)] = (seen, stamp)
    return stamp


_STAMPS: dict[str, tuple[tuple, int]] = {}  # path -> (its ``_file_state``, its stamp) when last stamped


def _file_state(path: Path) -> tuple:
    """Inode, modification time and size of a project file and of its SQLite journals (``os.stat``, microseconds).

    Every committed write changes one of them; the stamp is read again from the store only then,
    not ten times a run (each read opens the file and takes its lock).
    """
    import os

    main = os.stat(path)
    state: tuple = (main.st_ino, main.st_mtime_ns, main.st_size)
    for suffix in ("-wal", "-journal"):
        try:
            side = os.stat(f"{path}{suffix}")
        except FileNotFoundError:
            continue
        state += (suffix, side.st_mtime_ns, side.st_size)
    return state


project_stamp = _stamp


@st.cache_resource(max_entries=24, show_spinner=False)
def _simplified(path: str, stamp: int, scope: str, layer: str, view: str, _project: Project):
    from ui.mapview import simplified_layer

    return simplified_layer(_project, layer, view)


def cached_simplified(path: str | Path, project: Project, layer: str, view: str):
    """The whole ``layer`` of ``project`` (loaded from ``path``) simplified for map ``view``, for maps of every unit."""
    return _simplified(str(path), _stamp(path), scope_key(project), layer, view, project)


def view_unit(selection):
    """The unit whose layers a view draws: a grid's selection draws its community's view."""
    from geo.explore import Selection

    return Selection(town=selection.town, community=selection.community)


@st.cache_resource(max_entries=1024, show_spinner=False)
def _view_layers(path: str, stamp: int, scope: str, unit, _project: Project):
    from geo.lod import view_layers

    return view_layers(_project, unit)


def cached_view_layers(path: str | Path, project: Project, selection):
    """The simplified features of ``selection``'s view (``geo.lod.view_layers``), once per unit and saved version.

    Keyed on the unit (town or community), so a grid's click reuses its community's layers.
    When the city-scale store lands, the project passed here can be only the unit's part of
    it (``geo.store.open_store(path).load(town=..., community=...)``).
    """
    return _view_layers(str(path), _stamp(path), scope_key(project), view_unit(selection), project)


@st.cache_resource(max_entries=16, show_spinner=False)
def _figures(path: str, stamp: int, scope: str, category: str, radius_m: float, _project: Project):
    from geo.rollup import unit_figures

    return unit_figures(_project, category=category, radius_m=radius_m)


def cached_figures(path: str | Path, project: Project, category: str, radius_m: float):
    """Per-unit figures (households, staffing, coverage) of ``project`` (loaded from ``path``)."""
    return _figures(str(path), _stamp(path), scope_key(project), category, float(radius_m), project)


_FINDINGS_DONE: dict[tuple[str, int, str], object] = {}  # (path, stamp, scope) -> findings, when a check ends


@st.cache_resource(max_entries=16, show_spinner=False)
def _findings(path: str, stamp: int, scope: str, _project: Project):
    from geo.validate import check_project

    done = _FINDINGS_DONE.get((path, stamp, scope))  # the background check (``warm_views``) has ended
    findings = check_project(_project) if done is None else done
    for old in [k for k in _FINDINGS_DONE if k[0] == path and k[2] == scope]:  # one version per project kept
        _FINDINGS_DONE.pop(old)
    _FINDINGS_DONE[(path, stamp, scope)] = findings
    return findings


def cached_findings(path: str | Path, project: Project):
    """Hierarchy/topology findings of ``project`` (``geo.validate.check_project``), once per saved version."""
    return _findings(str(path), _stamp(path), scope_key(project), project)


def _check_elsewhere(path: str, project: Project) -> None:
    """The check of ``project`` (the saved version at ``path``) in a child process (``ui.check_child``), kept
    for ``findings_if_ready``.

    The check takes seconds of pure Python on a county; in the server's own process it held the
    interpreter lock while planners clicked (a demo click's run 0.2-0.3 s alone, 0.6-1.1 s beside
    the check). The child, at the lowest CPU priority, reads the file and leaves when done (its
    memory goes with it). Not ``multiprocessing``: Streamlit runs the page as ``__main__``, which a
    spawned child would run again. A version saved meanwhile is not kept under the older one's stamp.
    """
    import pickle
    import subprocess
    import sys
    import tempfile

    stamp, scope = _stamp(path), scope_key(project)
    with tempfile.TemporaryDirectory(prefix="gridatlas-check-") as tmp:
        asked, answer = Path(tmp) / "in.pickle", Path(tmp) / "out.pickle"
        asked.write_bytes(pickle.dumps((path, project.scope)))
        subprocess.run([sys.executable, "-m", "ui.check_child", str(asked), str(answer)], check=True,
                       cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL)
        revision, findings = pickle.loads(answer.read_bytes())
    if revision != project.revision or (path, stamp, scope) in _FINDINGS_DONE:
        return
    for old in [k for k in _FINDINGS_DONE if k[0] == path and k[2] == scope]:  # one version per project kept
        _FINDINGS_DONE.pop(old)
    _FINDINGS_DONE[(path, stamp, scope)] = findings


def findings_if_ready(path: str | Path, project: Project):
    """The findings of the saved version at ``path`` (as ``project``'s scope sees it) when its check has ended,
    else None (never waits).

    The check takes seconds on a county (``warm_views`` runs it in the background); a map
    never waits for it: its QA layer appears on the first rerun after the check ends.
    """
    return _FINDINGS_DONE.get((str(path), _stamp(path), scope_key(project)))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_import(data: bytes, filename: str, layer: str, crs: str | None, mapping: tuple[tuple[str, str], ...],
                  repair: bool = False, id_salt: str | None = None, area_wkb: bytes | None = None):
    """``geo.io.load_layer_bytes`` for one uploaded file, cached on its content and options (area as WKB)."""
    import shapely

    from geo.io import load_layer_bytes

    area = shapely.from_wkb(area_wkb) if area_wkb else None
    return load_layer_bytes(data, filename, layer, crs=crs, mapping=dict(mapping) or None, repair=repair,
                            id_salt=id_salt, area=area)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_headers(data: bytes, filename: str, layer: str) -> list[str]:
    """The column headers of an uploaded file (read as-is, no mapping)."""
    import tempfile

    from geo.io import read_raw

    with tempfile.TemporaryDirectory(prefix="gridatlas-headers-") as tmp:
        target = Path(tmp) / Path(filename).name
        target.write_bytes(data)
        raw = read_raw(target, target=layer, label=Path(filename).name)
    return [str(c) for c in raw.frame.columns if c != "geometry"]


# --- the explore side panel: shared by every session (issue 18 item 6) ------------------------
# Ten planners looking at the same project ask for the same views: the panel's tables are
# computed once per saved version of the project and selection, not once per session and run.

@dataclass(frozen=True)
class PanelData:
    """What the explore side panel shows for one selection (``geo.explore``)."""

    chain: list  # [(level, code, name)] from the whole place down
    codes: list  # grid codes of the selected unit
    unit: object  # pandas Series: unit_panel_figures
    staff: object  # DataFrame (community and grid views) or None
    reach: object  # DataFrame of category, share
    problems: list  # [(catalogue key, context)]
    governance: object = None  # geo.explore.GovernancePanel


def panel_data(project: Project, figures, selection, *, category: str, radius_m: float, lang: str) -> PanelData:
    """The side panel of ``selection`` computed from ``project`` and its ``figures`` (``geo.explore``)."""
    from geo.explore import (
        COMMUNITY, GRID, governance_panel, parent_chain, problem_rows, reach_rows, staff_rows, unit_grid_codes,
        unit_panel_figures,
    )

    codes = unit_grid_codes(project, selection)
    return PanelData(
        chain=parent_chain(project, selection, lang=lang), codes=codes,
        unit=unit_panel_figures(project, figures, selection),
        staff=staff_rows(project, codes) if selection.level in (COMMUNITY, GRID) else None,
        reach=reach_rows(project, selection, radius_m=radius_m),
        problems=problem_rows(project, figures, codes, category=category, radius_m=radius_m),
        governance=governance_panel(project, codes))


@st.cache_resource(max_entries=512, show_spinner=False)
def _panel(path: str, stamp: int, scope: str, selection, category: str, radius_m: float, lang: str,
           _project: Project, _figures) -> PanelData:
    return panel_data(_project, _figures, selection, category=category, radius_m=radius_m, lang=lang)


def cached_panel(path: str | Path, project: Project, figures, selection, *, category: str, radius_m: float,
                 lang: str) -> PanelData:
    """The side panel of ``selection`` (figures from ``cached_figures`` for the same category and radius)."""
    return _panel(str(path), _stamp(path), scope_key(project), selection, category, float(radius_m), lang, project,
                  figures)


@st.cache_resource(max_entries=256, show_spinner=False)
def _explore_map(path: str, stamp: int, scope: str, selection, opts, lang: str, qa_ready: bool, figures_key: str,
                 _project: Project, _figures):
    from ui.mapview import prepare_explore_map

    return prepare_explore_map(_project, selection, _figures, opts, lang=lang,
                               layers=cached_view_layers(path, _project, selection),
                               findings=findings_if_ready(path, _project) if opts.show_problems else None)


@st.cache_resource(max_entries=256, show_spinner=False)
def _grid_table(path: str, stamp: int, scope: str, table: str, codes: tuple[str, ...], _project: Project):
    from geo.explore import building_rows, chain_rows

    return (building_rows if table == "buildings" else chain_rows)(_project, list(codes))


def cached_grid_table(path: str | Path, project: Project, table: str, codes: list[str]):
    """A grid's buildings with their heads (``table="buildings"``) or its escalation chain (``"escalation"``),
    phones masked (``geo.explore.building_rows`` / ``chain_rows``); built when the planner opens its
    expander (each walks the project's people and buildings: ~0.4 s on the demo), once per saved version."""
    return _grid_table(str(path), _stamp(path), scope_key(project), table, tuple(codes), project)


def cached_explore_map(path: str | Path, project: Project, figures, selection, opts, *, lang: str,
                       figures_key: str = ""):
    """The prepared explore map (``ui.mapview.PreparedMap``) of ``selection`` with options ``opts``.

    Built once per saved version, view and options for every session; each run only wraps the
    shared GeoJSON in a new folium map (``ui.mapview.prepared_folium_map``). The QA layer is
    added once the background check has ended (``findings_if_ready``): no view waits for it.
    ``figures_key`` names figures that are not fixed by the saved version and options (a
    city-size project's city view is drawn before its figures, then again with them).
    """
    from geo.explore import CITY

    # the city view draws no QA layer: the check ending must not rebuild it (every view reads its bounds)
    qa_ready = opts.show_problems and selection.view != CITY and findings_if_ready(path, project) is not None
    return _explore_map(str(path), _stamp(path), scope_key(project), selection, opts, lang, qa_ready, figures_key,
                        project, figures)


# --- heavy builds outside the script run ------------------------------------------------------

WARM_AFTER_S = 1.5  # the background build starts this long after the first view was sent
# what other pages import on their first visit, imported by the background build instead (each a
# page switch's wait on a 2-core machine: matplotlib for the print page ~0.3 s, scipy for the run page)
PRELOAD = ("layers.print", "geo.network", "openpyxl")


def _warm(path: str, project: Project) -> None:
    """Fill the shared caches every session needs: the town views (a planner's first click), the modules of
    other pages (``PRELOAD``), then the check (in a child process: ``_check_elsewhere``).

    Community views are built on their first visit (a tenth of a second each): building all
    of them here would hold the interpreter for seconds while planners click.
    """
    from geo import schema as s
    from geo.errors import GeoInputError
    from geo.explore import Selection

    time.sleep(WARM_AFTER_S)  # the first page's own browser work (component, Leaflet, drawing) goes first
    towns = project.layer(s.TOWNS)
    try:
        for code in towns[s.CODE].astype(str) if s.CODE in towns else ():
            cached_view_layers(path, project, Selection(town=code))
        for module in PRELOAD:
            importlib.import_module(module)
        _check_elsewhere(path, project)
    except GeoInputError:  # the file went away or the office server stopped: the page that needs it says so
        return


@st.cache_resource(max_entries=16, show_spinner=False)
def _warming(path: str, stamp: int, scope: str, _project: Project) -> threading.Thread:
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    thread = threading.Thread(target=_warm, args=(path, _project), name="gridatlas-warm", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())  # cache calls without "missing ScriptRunContext" noise
    thread.start()
    return thread


def warm_views(path: str | Path, project: Project) -> None:
    """Start building the views of ``project`` (loaded from ``path``) in the background, once per saved version.

    The first planner's click into a town then finds its layers ready and the QA layer
    follows once the check ends; a session that needs a layer first simply waits for the
    same build (Streamlit computes one cache entry once).
    """
    _warming(str(path), _stamp(path), scope_key(project), project)


# --- city-size projects: the explore page reads only what a view shows (issue 14 item 3) ----------
# A city (264 towns, 140,000 grids) is not loaded for a view of one community: above
# ``CITY_SIZE_GRIDS`` grids each explore view reads its own unit from the store (the city view
# its towns, a town view that town, a community view that community: ``geo.access.load_scoped``,
# narrowed to the user's scope), cached per saved version, scope and unit. The city view's
# per-town figures need every grid: they are added up once per version in the background
# (``city_summary_if_ready``) and the towns are coloured when they arrive. Smaller projects
# keep the one whole (scoped) project: it is loaded in a second and every view shares it.

CITY_SIZE_GRIDS = 10_000  # the demo county has 4,254 grids; the tenth-size city 14,069

_PART_UNITS: dict[int, str] = {}  # id(part) -> the view unit it holds, while the part lives (``scope_key``)


@st.cache_resource(max_entries=16, show_spinner=False)
def _grid_count(path: str, stamp: int) -> int:
    from geo import schema as s

    try:
        return len(open_store(path).read_layer(s.GRIDS, columns=[s.CODE]))
    except (GeoInputError, sqlite3.DatabaseError):  # no project or no grids yet: not city size
        return 0


def is_city_size(path: str | Path) -> bool:
    """Whether the project at ``path`` holds more than ``CITY_SIZE_GRIDS`` grids (counted once per saved version)."""
    return _grid_count(str(path), _stamp(path)) > CITY_SIZE_GRIDS


@st.cache_resource(max_entries=64, show_spinner=False)
def _part(path: str, stamp: int, scope, unit) -> Project:
    import weakref
    from dataclasses import replace

    from geo import schema as s
    from geo.access import load_scoped, scoped
    from geo.explore import CITY, COMMUNITY, TOWN

    store = open_store(path)
    if unit.view == CITY:  # the towns (a scoped user's through its communities) and the point types of the options
        layers = [s.TOWNS, s.SERVICE_POINTS] + ([] if scope.whole_project else [s.COMMUNITIES])
        part, name = load_scoped(store, scope, layers=layers), CITY
    else:
        level, code = (TOWN, unit.town) if unit.view == TOWN else (COMMUNITY, unit.community)
        part, name = scoped(load_scoped(store, replace(scope, level=level, code=code)), scope), f"{level}:{code}"
    key = id(part)
    _PART_UNITS[key] = name
    weakref.finalize(part, _PART_UNITS.pop, key, None)
    return part


def explore_project(path: str | Path, scope, selection) -> Project:
    """What the explore page reads for ``selection``'s view, narrowed to ``scope``.

    A city-size project (``is_city_size``): only the view's unit (``view_unit``) read from the
    store: the city view its towns, a town view that town, a community (or grid) view that
    community. Otherwise the whole project (``cached_scoped_project``).
    """
    from dataclasses import replace

    if not is_city_size(path):
        return cached_scoped_project(path, scope)
    return _part(str(path), _stamp(path), replace(scope, user=""), view_unit(selection))


@st.cache_resource(max_entries=4, show_spinner=False)
def _search_source(path: str, stamp: int, scope) -> Project:
    from geo import schema as s
    from geo.access import load_scoped

    return load_scoped(path, scope, layers=[s.TOWNS, s.COMMUNITIES, s.GRIDS])


def search_project(path: str | Path, scope) -> Project:
    """The units a search looks in (towns, communities, grids of ``scope``): the whole project unless city size,
    where only those three layers are read, on the first search."""
    from dataclasses import replace

    if not is_city_size(path):
        return cached_scoped_project(path, scope)
    return _search_source(str(path), _stamp(path), replace(scope, user=""))


_CITY_DONE: dict[tuple, tuple] = {}  # (path, stamp, scope, category, radius, lang) -> (figures, panel)


def _add_up_city(key: tuple, path: str, scope, category: str, radius_m: float, lang: str) -> None:
    """Figures of every unit and the city view's panel, from the whole (scoped) project; the project is dropped.

    First one town's part is read (``explore_project``): the store's first partial read of a
    saved version builds its unit index (a second on a city), which the planner's first click
    into a town would otherwise wait for.
    """
    from geo import schema as s
    from geo.access import load_scoped
    from geo.explore import Selection
    from geo.rollup import unit_figures

    time.sleep(WARM_AFTER_S)  # the first view's own work (its run, the browser drawing it) goes first
    try:
        towns = explore_project(path, scope, Selection()).layer(s.TOWNS)
        if s.CODE in towns.columns and len(towns):
            explore_project(path, scope, Selection(town=str(towns[s.CODE].iloc[0])))
        project = load_scoped(path, scope)
        figures = unit_figures(project, category=category, radius_m=radius_m)
        panel = panel_data(project, figures, Selection(), category=category, radius_m=radius_m, lang=lang)
    except GeoInputError:  # the file went away or the server stopped: the page that needs it says so
        return
    for old in [k for k in _CITY_DONE if k[0] == path and k[2] == key[2] and k[1] != key[1]]:  # older versions
        _CITY_DONE.pop(old)
    _CITY_DONE[key] = (figures, panel)


@st.cache_resource(max_entries=16, show_spinner=False)
def _city_job(path: str, stamp: int, scope, category: str, radius_m: float, lang: str) -> threading.Thread:
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    key = (path, stamp, scope.key, category, radius_m, lang)
    thread = threading.Thread(target=_add_up_city, args=(key, path, scope, category, radius_m, lang),
                              name="gridatlas-city-figures", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()
    return thread


def city_summary_if_ready(path: str | Path, scope, *, category: str, radius_m: float, lang: str):
    """``(figures, panel)`` of the city view of a city-size project when added up, else None (never waits).

    The first call per saved version, scope and choice starts the work in the background
    (seconds on a city: every grid is rolled up); the city view is drawn meanwhile.
    """
    from dataclasses import replace

    scope = replace(scope, user="")
    stamp = _stamp(path)
    _city_job(str(path), stamp, scope, category, float(radius_m), lang)
    return _CITY_DONE.get((str(path), stamp, scope.key, category, float(radius_m), lang))


# --- import wizard (files held as bytes; geo reads them from a private temp folder) -----------

def _with_temp_file(data: bytes, filename: str, func, *args, **kwargs):
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="gridatlas-wizard-"))
    try:
        target = tmp / Path(filename).name
        target.write_bytes(data)
        return func(target, *args, **kwargs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_guess(data: bytes, filename: str):
    """What an uploaded file is, by content (``geo.import_review.guess_file``)."""
    from geo.import_review import guess_file

    return _with_temp_file(data, filename, lambda p: guess_file(p, label=Path(filename).name))


@st.cache_data(max_entries=8, show_spinner=False)
def cached_roster(data: bytes, filename: str, grids_key: str, _grids, _communities, id_salt: str | None,
                  scenario: str):
    """``geo.roster_import.read_roster`` on an uploaded roster; ``grids_key`` identifies the grids passed."""
    from geo.roster_import import read_roster

    return _with_temp_file(data, filename, read_roster, grids=_grids, communities=_communities, id_salt=id_salt,
                           scenario=scenario, label=Path(filename).name)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_projects(data: bytes, filename: str, grids_key: str, crs: str | None, _project):
    """``geo.govprojects.read_projects`` on an uploaded file; ``grids_key`` identifies the project's grids."""
    from geo.govprojects import read_projects

    return _with_temp_file(data, filename, read_projects, project=_project, crs=crs, label=Path(filename).name)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_selfgov(data: bytes, filename: str, grids_key: str, _grids, _communities):
    """``geo.selfgov.read_selfgov`` on an uploaded sheet; ``grids_key`` identifies the grids."""
    from geo.selfgov import read_selfgov

    return _with_temp_file(data, filename, read_selfgov, grids=_grids, communities=_communities,
                           label=Path(filename).name)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_organisations(data: bytes, filename: str, grids_key: str, _grids, _communities, _buildings=None):
    """``geo.organisations.read_organisations`` on an uploaded sheet; ``grids_key`` identifies the grids
    (and the buildings, which a row may name)."""
    from geo.organisations import read_organisations

    return _with_temp_file(data, filename, read_organisations, grids=_grids, communities=_communities,
                           buildings=_buildings, label=Path(filename).name)


# --- edit page ------------------------------------------------------------------------------------

@st.cache_resource(max_entries=16, show_spinner=False)
def _masked_names(path: str, stamp: int, scope: str, _project: Project) -> dict[str, str]:
    from geo import schema as s
    from geo.privacy import mask_name

    vols = _project.layer(s.VOLUNTEERS)
    if s.NAME not in vols:
        return {}
    return dict(zip(vols[s.VOLUNTEER_ID].astype(str), vols[s.NAME].map(mask_name)))


def cached_masked_names(path: str | Path, project: Project) -> dict[str, str]:
    """``{volunteer id: masked name}`` of ``project``'s volunteers (``geo.privacy.mask_name``), once per saved
    version and scope: the edit page edits assignments, never people (two walks of every volunteer a run)."""
    return _masked_names(str(path), _stamp(path), scope_key(project), project)


# --- print page and XLSX export: the default roll-up and the unit picker ----------------------

@st.cache_resource(max_entries=16, show_spinner=False)
def _default_radius(path: str, stamp: int, scope: str, _project: Project) -> float | None:
    from geo.rollup import coverage_radius

    radius = coverage_radius(_project)
    return None if radius is None else float(radius)


def cached_default_figures(path: str | Path, project: Project, category: str | None = None):
    """``geo.printdata.page_figures`` of ``project`` (the default coverage radius), once per saved version.

    The same cache entry as ``cached_figures`` for that category and radius: a printed page, the
    XLSX export (``category`` None: the default category), the explore map and the dashboard
    share one roll-up of a saved version instead of one each.
    """
    from geo.rollup import DEFAULT_CATEGORY

    stamp, scope = _stamp(path), scope_key(project)
    radius = _default_radius(str(path), stamp, scope, project)
    return _figures(str(path), stamp, scope, category or DEFAULT_CATEGORY, radius, project)


def _roll_up_saved(path: str, scope) -> None:
    try:
        cached_default_figures(path, cached_scoped_project(path, scope))
    except (GeoInputError, sqlite3.DatabaseError):  # the file went away meanwhile: the page that needs it says so
        return


@st.cache_resource(max_entries=16, show_spinner=False)
def _rolling_up(path: str, stamp: int, scope) -> threading.Thread:
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    thread = threading.Thread(target=_roll_up_saved, args=(path, scope), name="gridatlas-rollup", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()
    return thread


def warm_after_save(path: str | Path, scope) -> threading.Thread:
    """Load the version just saved and roll it up (``cached_default_figures``) in the background, once per version.

    The page a planner opens next (export, dashboard, print, the explore map) then finds the
    shared roll-up ready instead of computing it in its first click.
    """
    from dataclasses import replace

    return _rolling_up(str(path), _stamp(path), replace(scope, user=""))


@st.cache_resource(max_entries=32, show_spinner=False)
def _print_units(path: str, stamp: int, scope: str, notice: bool, lang: str, _project: Project) -> dict[str, str]:
    from geo import schema as s
    from geo.explore import unit_names
    from geo.messages import label
    from geo.printdata import CITY, city_name

    levels = (s.GRIDS,) if notice else (s.TOWNS, s.COMMUNITIES, s.GRIDS)
    out = {} if notice else {CITY: f"{city_name(_project, lang)} · {label('level', CITY, lang)}"}
    for layer in levels:
        gdf = _project.layer(layer)
        if s.CODE not in gdf:
            continue
        names = unit_names(_project, layer)
        codes = gdf[s.CODE].astype(str).tolist()
        default = {s.TOWNS: "town", s.COMMUNITIES: "community"}.get(layer, s.LEVEL_GENERAL)
        levels_of = gdf[s.LEVEL].astype(str).tolist() if s.LEVEL in gdf else [default] * len(codes)
        shown = {level: label("level", level, lang) for level in set(levels_of)}  # one lookup per level
        out.update({code: f"{names.get(code) or code} · {shown[level]} ({code})" for code, level in zip(codes, levels_of)})
    return out


def cached_print_units(path: str | Path, project: Project, *, notice: bool, lang: str) -> dict[str, str]:
    """``{code: "name · level (code)"}`` of the units the print page can print (grids only for a notice
    board; the whole place, towns, communities and grids for a map), once per saved version and language."""
    return _print_units(str(path), _stamp(path), scope_key(project), notice, lang, project)
