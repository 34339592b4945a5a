"""Helpers every page uses: open the current project or stop with a catalogue message; optional modules."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.errors import GeoInputError
from geo.project import Project
from ui import state
from ui.cached import cached_project
from ui.i18n import show_error, tr


def project_path() -> str:
    """The project file path chosen in the sidebar."""
    return str(st.session_state.get(state.PROJECT_PATH) or state.DEFAULT_PROJECT)


def current_project() -> Project:
    """The open project; shows a catalogue message and stops the page when it cannot be opened."""
    path = project_path()
    if not Path(path).exists():
        st.info(tr("ui.no_project", file=path))
        st.stop()
    try:
        return cached_project(path)
    except GeoInputError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop raises
