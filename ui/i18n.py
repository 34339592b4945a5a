"""``tr(key, **context)``: catalogue text in the session's language; ``show_error`` for GeoInputError."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from geo.errors import GeoWarning
from geo.messages import error_text, t
from ui.safe import plain
from ui.state import lang


def tr(key: str, **context: Any) -> str:
    """The catalogue text for ``key`` in the session language."""
    return t(key, lang(), **context)


def show_error(error: Exception) -> None:
    """Show a ``GeoInputError`` as its localised catalogue message with the web app's remedy (no traceback)."""
    st.error(plain(error_text(error, lang(), front="web")))  # file names, values: user data


def show_notes(notes: Iterable[GeoWarning]) -> None:
    """Show ``GeoWarning`` notes (e.g. ``ExportResult.notes``) as localised warnings."""
    for note in notes:
        st.warning(plain(error_text(note, lang(), front="web")))
