"""Helpers every page uses: open the current project or stop with a catalogue message."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo import schema as s
from geo.access import NO_ACCESS, Scope, require_edit, save_scoped
from geo.errors import GeoInputError
from geo.project import Project
from geo.store import is_database_url, open_store
from ui import state
from ui.cached import cached_scoped_project, warm_after_save
from ui.i18n import show_error, tr
from ui.safe import plain


def project_path() -> str:
    """The project file path chosen in the sidebar."""
    return str(st.session_state.get(state.PROJECT_PATH) or state.DEFAULT_PROJECT)


def current_scope() -> Scope:
    """The scope of the signed-in user (``state.SCOPE``); a session without one has no access (no data)."""
    scope = st.session_state.get(state.SCOPE)
    return scope if isinstance(scope, Scope) else NO_ACCESS


def current_project() -> Project:
    """The open project narrowed to the signed-in user's scope (``geo.access.scoped``).

    Shows a catalogue message and stops the page when it cannot be opened. A session without
    a scope gets a project without rows (the login gate sends it to the login page).
    """
    path = project_path()
    if not (open_store(path).exists() if is_database_url(path) else Path(path).exists()):
        st.info(plain(tr("ui.no_project", file=path)))
        st.stop()
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
        project = current_project() if any(units.get(k) for k in ("grids", "communities", "towns", "volunteers")) \
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
