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

from collections.abc import Collection

import numpy as np
import pandas as pd

from geo import schema as s
from geo.hierarchy import grid_tree, text_or_none
from geo.project import Project

NO_UNIT = "*"  # rows with no community (towns, settings, unknown grids): one shared bucket
ALL_UNITS = "**"  # a whole table or file rewritten: conflicts with every older edit
UNLOGGED_TABLES = frozenset({s.AUDIT})  # append-only logs: two sessions' rows never clash


GRID_UNIT_COLUMNS = (s.CODE, s.LEVEL, s.PARENT_CODE, s.COMMUNITY_CODE, s.TOWN_CODE)
COMMUNITY_UNIT_COLUMNS = (s.CODE, s.TOWN_CODE)
MAX_DEPTH = 8  # parent chains followed (as ``grid_tree`` does)


def unit_tree(grids: pd.DataFrame, communities: pd.DataFrame, *, codes: Collection[str] | None = None
              ) -> pd.Series:
    """Grid code → community code (None when unknown), from the grid and community rows given.

    Only the code columns are read (no geometry), so light frames read from a store do. With
    ``codes``, only those grids and their parents are resolved (fast for the few rows of an edit).
    """
    tree = grid_units(grids, communities, codes=codes)
    return tree[s.COMMUNITY_CODE] if len(tree) else pd.Series(dtype=object)


def grid_units(grids: pd.DataFrame, communities: pd.DataFrame, *, codes: Collection[str] | None = None
               ) -> pd.DataFrame:
    """``geo.hierarchy.grid_tree`` (community and town of each grid) of ``grids``, or only of ``codes``
    and their parent chains; read from the code columns only, one row per grid code."""
    if s.CODE not in grids.columns or len(grids) == 0:
        return pd.DataFrame(columns=[s.COMMUNITY_CODE, s.TOWN_CODE])
    light = pd.DataFrame(grids[[c for c in GRID_UNIT_COLUMNS if c in grids.columns]])
    if codes is not None:
        grid_codes = pd.Series(light[s.CODE].to_numpy(dtype=object, na_value=None), index=light.index).astype(str)
        keep = grid_codes.isin({str(c) for c in codes})
        for _ in range(MAX_DEPTH):
            if s.PARENT_CODE not in light.columns:
                break
            parents = {str(p).strip() for p in light.loc[keep, s.PARENT_CODE].dropna()}
            grown = keep | grid_codes.isin(parents)
            if grown.sum() == keep.sum():
                break
            keep = grown
        light = light[keep]
        if len(light) == 0:
            return pd.DataFrame(columns=[s.COMMUNITY_CODE, s.TOWN_CODE])
    comms = pd.DataFrame(communities[[c for c in COMMUNITY_UNIT_COLUMNS if c in communities.columns]])
    project = Project(layers={s.GRIDS: light, s.COMMUNITIES: comms})  # type: ignore[dict-item]
    tree = grid_tree(project)
    return tree[~tree.index.duplicated(keep="last")]


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
