"""GridAtlas pure logic: loading, validation, CRS, assignment, coverage, export.

Nothing in this package imports streamlit, folium or matplotlib, so every
capability works headless (``python -m cli``) and from plain Python.
"""
from __future__ import annotations

__version__ = "0.1.0"
