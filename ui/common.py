"""Helpers every page uses: open the current project or stop with a catalogue message."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.errors import GeoInputError
from geo.project import Project
from geo.store import is_database_url, open_store
from ui import state
from ui.cached import cached_project
from ui.i18n import show_error, tr
from ui.safe import plain


def project_path() -> str:
    """The project file path chosen in the sidebar."""
    return str(st.session_state.get(state.PROJECT_PATH) or state.DEFAULT_PROJECT)


def current_project() -> Project:
    """The open project; shows a catalogue message and stops the page when it cannot be opened."""
    path = project_path()
    if not (open_store(path).exists() if is_database_url(path) else Path(path).exists()):
        st.info(plain(tr("ui.no_project", file=path)))
        st.stop()
    try:
        project = cached_project(path)
    except GeoInputError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop raises
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
