"""All Streamlit cache wrappers live here; ``geo`` knows nothing of caching."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.project import Project, load_project


@st.cache_data(max_entries=4, show_spinner=False)
def _load(path: str, mtime_ns: int) -> Project:
    return load_project(path)


def cached_project(path: str | Path) -> Project:
    """The project at ``path``, cached on path and modification time (re-read after a save)."""
    p = Path(path)
    return _load(str(p), p.stat().st_mtime_ns if p.exists() else 0)
