"""The grid-code pattern form (setting ``grid_code_pattern``): two patterns, checked, an example code, saved."""
from __future__ import annotations

import streamlit as st

from geo.errors import GeoInputError
from geo.gridcodes import check_code_pattern, code_pattern, with_code_pattern
from geo import schema as s
from geo.project import Project
from ui.common import save_current
from ui.i18n import show_error, tr
from ui.safe import plain

K_GENERAL, K_MICRO, K_SAVE = "code_pattern_general", "code_pattern_micro", "code_pattern_save"


def _example_community(project: Project) -> str:
    comms = project.layer(s.COMMUNITIES)
    return str(comms[s.CODE].iloc[0]) if s.CODE in comms.columns and len(comms) else "510197001001"


def code_pattern_form(project: Project, *, user: str, disabled: bool = False) -> Project | None:
    """Show the pattern of new grid codes; check what the planner types, show example codes, save on click.

    Returns the saved project, or None when nothing was saved. Codes already given never change.
    """
    try:
        current = code_pattern(project.settings)
    except GeoInputError as exc:  # a pattern saved by hand that no longer checks: show it, let them fix it
        show_error(exc)
        current = {**s.DEFAULT_SETTINGS["grid_code_pattern"], **(project.settings.get("grid_code_pattern") or {})}
    st.caption(tr("edit.codes.pattern_help"))
    st.code("{community}  {general:02d}  {micro:02d}", language=None)  # the syntax the planner types
    c1, c2 = st.columns(2)
    general = c1.text_input(tr("edit.codes.pattern_general"), value=current["general"], key=K_GENERAL)
    micro = c2.text_input(tr("edit.codes.pattern_micro"), value=current["micro"], key=K_MICRO)
    community = _example_community(project)
    try:
        examples = check_code_pattern({"general": general, "micro": micro}, community=community)
    except GeoInputError as exc:
        show_error(exc)
        return None
    st.markdown(plain(tr("edit.codes.pattern_example", general=examples[s.LEVEL_GENERAL],
                         micro=examples[s.LEVEL_MICRO], community=community)))
    changed = {"general": general, "micro": micro} != current
    if st.button(tr("edit.codes.pattern_save"), key=K_SAVE, disabled=disabled or not changed):
        try:
            updated = with_code_pattern(project, {"general": general, "micro": micro}, user=user)
            saved = save_current(updated, expected_revision=project.revision, user=user)  # settings: whole-project scopes only
        except GeoInputError as exc:
            show_error(exc)
            return None
        return saved
    return None
