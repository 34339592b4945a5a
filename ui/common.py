"""Helpers every page uses: open the current project (on a city-size project, the unit worked on) or stop
with a catalogue message."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import schema as s
from geo.access import NO_ACCESS, Scope, require_edit, save_scoped
from geo.errors import GeoInputError
from geo.explore import CITY, TOWN, Selection
from geo.project import Project
from geo.store import is_database_url, open_store
from ui import labels, state
from ui.cached import cached_scoped_project, explore_project, is_city_size, warm_after_save
from ui.i18n import show_error, tr
from ui.safe import plain


def project_path() -> str:
    """The project file path chosen in the sidebar."""
    return str(st.session_state.get(state.PROJECT_PATH) or state.DEFAULT_PROJECT)


def current_scope() -> Scope:
    """The scope of the signed-in user (``state.SCOPE``); a session without one has no access (no data)."""
    scope = st.session_state.get(state.SCOPE)
    return scope if isinstance(scope, Scope) else NO_ACCESS


def current_project(*, quiet: bool = False) -> Project:
    """The open project narrowed to the signed-in user's scope (``geo.access.scoped``).

    Shows a catalogue message and stops the page when it cannot be opened. A session without
    a scope gets a project without rows (the login gate sends it to the login page). On a city-size
    project (``ui.cached.is_city_size``) it is the unit worked on (``working_part``), never the whole city;
    ``quiet``: without naming that unit (a check made inside a page's widgets).
    """
    path = project_path()
    if not (open_store(path).exists() if is_database_url(path) else Path(path).exists()):
        st.info(plain(tr("ui.no_project", file=path)))
        st.stop()
    if is_city_size(path):
        return working_part(path, quiet=quiet)
    try:
        scope = current_scope()
        project = cached_scoped_project(path, scope)
    except GeoInputError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop raises
    if scope is NO_ACCESS:
        st.info(tr("scope.no_access"))
        st.stop()
    if not scope.whole_project and project.layer(s.COMMUNITIES).empty:  # the account names no unit of this project
        st.warning(plain(tr("scope.no_units", unit=f"{scope.level} {scope.code}", file=path)))
        st.stop()
    return project


def working_unit(scope: Scope) -> Selection:
    """The unit the pages work on in a city-size project: the town or community chosen (on the explore page or
    in the page's town picker), else the user's own unit; the city (none) for a whole-project user who chose none."""
    chosen = Selection(town=st.session_state.get(state.SELECTED_TOWN),
                       community=st.session_state.get(state.SELECTED_COMMUNITY))
    if chosen.view != CITY or scope.whole_project or not scope.code:
        return chosen
    return Selection(town=scope.code) if scope.level == TOWN else Selection(community=scope.code)


def working_part(path: str, *, quiet: bool = False) -> Project:
    """The unit worked on of a city-size project, read alone from the store (``ui.cached.explore_project``),
    narrowed to the user's scope; saving it writes only its rows. Without a chosen unit the page asks for a
    town and stops; the unit is named once per run above the page, with a button to choose another."""
    scope = current_scope()
    unit = working_unit(scope)
    if unit.view == CITY:
        _choose_town(path, scope)
        st.stop()
    part = unit_part(path, scope, unit, held=s.COMMUNITIES)
    if not quiet and st.session_state.get(state.WORKING_NOTE) != st.session_state.get(state.RUN):  # once per run
        st.session_state[state.WORKING_NOTE] = st.session_state.get(state.RUN)
        layer, code = (s.TOWNS, unit.town) if unit.view == TOWN else (s.COMMUNITIES, unit.community)
        note, other = st.columns([5, 1], vertical_alignment="center")
        note.info(plain(tr("ui.city_size.working", unit=labels.name_and_code(_names(part.layer(layer)), str(code)))))
        other.button(tr("ui.city_size.other"), key="working_other", on_click=clear_keys,
                     args=(state.SELECTED_TOWN, state.SELECTED_COMMUNITY, state.SELECTED_GRID))
    return part


def unit_part(path: str, scope: Scope, unit: Selection, *, held: str) -> Project:
    """``ui.cached.explore_project`` of ``unit`` (a city-size project's part), or a catalogue message and the
    page stopped: no access, a store error, or a scoped account whose units have no row in layer ``held``."""
    if scope is NO_ACCESS:
        st.info(tr("scope.no_access"))
        st.stop()
    try:
        part = explore_project(path, scope, unit)
    except GeoInputError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop raises
    if not scope.whole_project and part.layer(held).empty:
        st.warning(plain(tr("scope.no_units", unit=f"{scope.level} {scope.code}", file=path)))
        st.stop()
    return part


def _choose_town(path: str, scope: Scope) -> None:
    """The towns of a city-size project to choose one from (the towns alone are read), with why."""
    names = _names(unit_part(path, scope, Selection(), held=s.TOWNS).layer(s.TOWNS))
    st.info(tr("ui.city_size.choose"))
    st.selectbox(tr("ui.city_size.town"), list(names), index=None, key=state.WORKING_TOWN,
                 format_func=partial(labels.name_and_code, names), on_change=_take_town)


def _names(units: pd.DataFrame) -> dict[str, str]:
    """``{code: name}`` of a unit layer, in its order."""
    if s.CODE not in units.columns:
        return {}
    codes = units[s.CODE].astype(str)
    return dict(zip(codes, units[s.NAME].fillna("").astype(str) if s.NAME in units.columns else [""] * len(codes)))


def _take_town() -> None:
    """``on_change`` of the town picker: the town becomes the unit worked on (and the explore page's)."""
    town = st.session_state.get(state.WORKING_TOWN)
    if town:
        st.session_state[state.SELECTED_TOWN] = town
        clear_keys(state.SELECTED_COMMUNITY, state.SELECTED_GRID, state.WORKING_TOWN)


def select_group(source_key: str, target_key: str, groups: dict[str, list[str]], clear: tuple[str, ...] = ()) -> None:
    """``on_change`` helper: set widget ``target_key`` to ``groups[value of source_key]``; unset ``clear`` keys.

    Nothing changes when the source value is not in ``groups`` (e.g. the placeholder).
    """
    choice = st.session_state.get(source_key)
    if choice in groups:
        st.session_state[target_key] = list(groups[choice])
        clear_keys(*clear)


def clear_keys(*keys: str) -> None:
    """``on_change`` helper: forget widget values (e.g. a confirmation that no longer applies)."""
    for key in keys:
        st.session_state.pop(key, None)


def allowed_to_edit(**units: object) -> bool:
    """Whether the signed-in user may make an edit of ``units`` (``geo.access.require_edit``); says why not."""
    try:
        project = current_project(quiet=True) if any(units.get(k) for k in ("grids", "communities", "towns", "volunteers")) \
            else Project()
        require_edit(current_scope(), project, **units)  # type: ignore[arg-type]
    except GeoInputError as exc:
        show_error(exc)
        return False
    return True


def save_current(project: Project, *, expected_revision: int | None, user: str = "") -> Project:
    """Save ``project`` (narrowed to the user's scope) to the open project: ``geo.access.save_scoped``.

    The saved version's shared roll-up is then built in the background (``warm_after_save``).
    """
    saved = save_scoped(project, project_path(), current_scope(), expected_revision=expected_revision, user=user)
    warm_after_save(project_path(), current_scope())
    return saved
