"""``tr(key, **context)``: catalogue text in the session's language; ``show_error`` for GeoInputError."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
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


@contextlib.contextmanager
def shown_warnings() -> Iterator[None]:
    """Show every ``GeoWarning`` raised inside the block as a localised ``st.warning`` (after the block)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeoWarning)
        yield
    for w in caught:
        if isinstance(w.message, GeoWarning):
            st.warning(plain(error_text(w.message, lang(), front="web")))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
