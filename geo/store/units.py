"""Which unit (community) a stored row belongs to: the key of optimistic concurrency in every store.

A save changes rows; each changed row belongs to one *unit*, the code of its community,
resolved through ``geo.hierarchy.grid_tree`` (the one place that knows a grid's community):

- ``communities``: the community itself; ``grids``: the grid's resolved community;
- ``assignments``, ``point_grids``, ``coverage`` (a ``grid_code`` column): the grid's community;
- ``volunteers``, ``service_points``, ``households`` (a ``community_code`` column): that community;
- everything else (towns, scenarios, settings) and rows whose community is unknown: ``NO_UNIT``.

The ``audit`` table is append-only and never conflicts (``UNLOGGED_TABLES``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo import schema as s
from geo.hierarchy import grid_tree, text_or_none
from geo.project import Project

NO_UNIT = "*"  # rows with no community (towns, settings, unknown grids): one shared bucket
ALL_UNITS = "**"  # a whole table or file rewritten: conflicts with every older edit
UNLOGGED_TABLES = frozenset({s.AUDIT})  # append-only logs: two sessions' rows never clash


def unit_tree(grids: pd.DataFrame, communities: pd.DataFrame) -> pd.Series:
    """Grid code → community code (None when unknown), from the grid and community rows given.

    Only the code columns are read (no geometry), so light frames read from a store do.
    """
    if s.CODE not in grids.columns or len(grids) == 0:
        return pd.Series(dtype=object)
    light = Project(layers={s.GRIDS: grids, s.COMMUNITIES: communities})  # type: ignore[dict-item]
    return grid_tree(light)[s.COMMUNITY_CODE]


def row_units(table: str, rows: pd.DataFrame, grid_communities: pd.Series) -> np.ndarray:
    """The unit (community code or ``NO_UNIT``) of each row of ``table``."""
    if len(rows) == 0:
        return np.array([], dtype=object)
    if table == s.COMMUNITIES and s.CODE in rows.columns:
        units = rows[s.CODE].map(text_or_none)
    elif table == s.GRIDS and s.CODE in rows.columns:
        units = rows[s.CODE].astype(str).map(grid_communities)
        own = rows[s.COMMUNITY_CODE].map(text_or_none) if s.COMMUNITY_CODE in rows.columns else units
        units = units.where(units.notna(), own)
    elif s.GRID_CODE in rows.columns and table != s.VOLUNTEERS:
        units = rows[s.GRID_CODE].map(text_or_none).map(grid_communities)
    elif s.COMMUNITY_CODE in rows.columns:
        units = rows[s.COMMUNITY_CODE].map(text_or_none)
    else:
        return np.full(len(rows), NO_UNIT, dtype=object)
    return np.array([u if isinstance(u, str) and u else NO_UNIT for u in units], dtype=object)
