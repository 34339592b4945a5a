"""Rows of a stored frame: which changed since it was read, the same way in every store engine.

Each engine hashes rows in its own canonical form (what it reads back must hash the same as
what it wrote); matching the hashes of a frame as read against the frame as it is now, and
telling whether a frame is untouched, are the same everywhere and live here.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from geopandas.array import GeometryDtype


def is_geometry(series: pd.Series) -> bool:
    """Whether ``series`` holds geometries."""
    return isinstance(series.dtype, GeometryDtype)


def frames_equal(current: pd.DataFrame, snapshot: pd.DataFrame) -> bool:
    """Whether ``current`` still holds exactly the rows of ``snapshot`` (geometries by identity)."""
    if list(current.columns) != list(snapshot.columns) or len(current) != len(snapshot):
        return False
    for col in current.columns:
        a, b = current[col].array, snapshot[col].array
        if a.dtype != b.dtype:
            return False
        if is_geometry(current[col]):
            if not all(map(lambda x, y: x is y, np.asarray(a, dtype=object), np.asarray(b, dtype=object))):
                return False
        elif not _arrays_equal(a, b):
            return False
    return True


def _arrays_equal(a: Any, b: Any) -> bool:
    if isinstance(a, pd.arrays.NumpyExtensionArray) and a.dtype == object:
        x, y = a.to_numpy(), b.to_numpy()
        try:
            same = np.asarray(x == y, dtype=bool)  # identical objects compare at once
            return bool(same.all() or (same | (pd.isna(x) & pd.isna(y))).all())
        except (TypeError, ValueError):
            pass
    return bool(a.equals(b))


def match_rows(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``old`` of each ``new`` row with the same hash (-1: none), and the unmatched old.

    Equal rows are matched one to one (a duplicate row added or removed is seen).
    """
    if len(old) and len(np.unique(old)) == len(old):  # the usual case: no two rows alike
        sorter = np.argsort(old)
        at = sorter[np.clip(np.searchsorted(old, new, sorter=sorter), 0, len(old) - 1)]
        matched = np.where(old[at] == new, at, -1)
        if len(np.unique(matched[matched >= 0])) == int((matched >= 0).sum()):
            return matched, np.setdiff1d(np.arange(len(old)), matched[matched >= 0])
    old_key = pd.DataFrame({"h": old, "k": pd.Series(old).groupby(old).cumcount().to_numpy(),
                            "pos": np.arange(len(old))})
    new_key = pd.DataFrame({"h": new, "k": pd.Series(new).groupby(new).cumcount().to_numpy()})
    merged = new_key.merge(old_key, on=["h", "k"], how="left")
    matched = merged["pos"].fillna(-1).to_numpy(dtype="int64")
    unmatched_old = np.setdiff1d(np.arange(len(old)), matched[matched >= 0])
    return matched, unmatched_old


