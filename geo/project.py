"""The project: every layer, table and setting of a plan, and where it is saved.

``save_project`` / ``load_project`` / ``read_revision`` are thin wrappers over ``geo.store``:
a save writes only the rows that changed, in one transaction (a crash or kill mid-save leaves
the previous or the new state, never a torn one). A ``revision`` counter and a per-unit change
log let a later save detect that another session changed the same units (``ConflictError``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import __version__
from geo.schema import (
    ASSIGNMENT_COLUMNS, ASSIGNMENTS, DEFAULT_SCENARIO, DEFAULT_SETTINGS, SCENARIO, STORAGE_CRS,
)
from geo.values import now_iso

FORMAT_NAME = "GridAtlas project"
FORMAT_VERSION = 1


@dataclass
class Project:
    """All layers of a planning project, in the storage CRS (WGS 84).

    ``layers`` maps layer names (``geo.schema.SPATIAL_LAYERS``) to GeoDataFrames,
    ``tables`` maps table names (``geo.schema.TABLES`` and any extra, e.g. ``audit``)
    to DataFrames, ``meta`` holds JSON-serialisable metadata (``settings``,
    ``sources``, ``revision``...).
    """

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    # what the store read or wrote (frames, row ids, scope): the base the next save diffs against
    _stored: Any = field(default=None, compare=False, repr=False)
    # the geo.access.Scope the project was narrowed to (None: not narrowed, every row): kept by ``with_*``
    scope: Any = field(default=None, compare=False, repr=False)

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The layer ``name``, or an empty GeoDataFrame in the storage CRS."""
        if name in self.layers:
            return self.layers[name]
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=STORAGE_CRS))

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name``; assignments get their standard columns when absent."""
        if name in self.tables:
            return self.tables[name]
        if name == ASSIGNMENTS:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ASSIGNMENT_COLUMNS})
        return pd.DataFrame()

    @property
    def settings(self) -> dict[str, Any]:
        """Planner settings merged over the defaults."""
        return {**DEFAULT_SETTINGS, **self.meta.get("settings", {})}

    @property
    def revision(self) -> int:
        """How many times this project has been saved."""
        return int(self.meta.get("revision", 0))

    @property
    def active_scenario(self) -> str:
        """The scenario every page, export, print and command reads (``meta["scenario"]``, default 基线).

        This is the only reader of the active scenario; ``with_active_scenario`` is the only writer.
        """
        return str(self.meta.get("scenario") or DEFAULT_SCENARIO)

    def assignments(self, scenario: str | None = None) -> pd.DataFrame:
        """The assignment rows of ``scenario`` (default: the active one); blank scenario means 基线."""
        return scenario_rows(self.table(ASSIGNMENTS), scenario or self.active_scenario)

    def with_active_scenario(self, name: str) -> Project:
        """A copy whose active scenario is ``name``."""
        return replace(self, meta={**self.meta, "scenario": str(name)})

    def with_settings(self, **changes: Any) -> Project:
        """A copy with planner settings ``changes`` stored over the current ones."""
        return replace(self, meta={**self.meta, "settings": {**self.meta.get("settings", {}), **changes}})

    def with_meta(self, **changes: Any) -> Project:
        """A copy with metadata keys ``changes`` replaced (not for ``scenario`` or ``settings``)."""
        return replace(self, meta={**self.meta, **changes})

    def with_layer(self, name: str, gdf: gpd.GeoDataFrame) -> Project:
        """A copy with one layer replaced."""
        return replace(self, layers={**self.layers, name: gdf})

    def with_table(self, name: str, df: pd.DataFrame) -> Project:
        """A copy with one table replaced."""
        return replace(self, tables={**self.tables, name: df})


def scenario_rows(table: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of an assignments ``table`` that belong to ``scenario`` (a blank scenario is 基线)."""
    if table.empty or SCENARIO not in table.columns:
        return table if scenario == DEFAULT_SCENARIO else table.iloc[0:0]
    raw = table[SCENARIO]  # whole-column operations: the assignments table is read many times per page
    text = raw.astype(object).where(raw.notna(), "").astype(str)
    return table[text.where(text != "", DEFAULT_SCENARIO) == str(scenario)]


def new_project(*, settings: dict[str, Any] | None = None) -> Project:
    """An empty project with default metadata."""
    now = now_iso()
    meta = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "gridatlas_version": __version__,
        "created_at": now, "storage_crs": STORAGE_CRS, "sources": {}, "revision": 0,
        "settings": dict(settings or {}),
    }
    return Project(meta=meta)


def read_revision(path: str | Path) -> int:
    """The revision stored in a project file on disk (cheap: reads the meta table only)."""
    from geo.store import open_store

    return open_store(path).revision()


def save_project(project: Project, path: str | Path, *, expected_revision: int | None = None,
                 user: str = "") -> Project:
    """Write what changed in ``project`` to ``path`` (one transaction); return it with ``revision`` incremented.

    The save is logged in the audit table it writes (``save``, by ``user``). A new file (or one
    written by an older GridAtlas) is written whole, atomically; later saves write only the rows
    that changed (``geo.store.gpkg``).

    Parameters
    ----------
    expected_revision
        The revision ``project`` was loaded at. When the file has moved on since, the save still
        succeeds if nobody changed the units (communities) it changes; otherwise it raises
        ``ConflictError`` naming them.
    """
    from geo.store import open_store

    return open_store(path).save(project, expected_revision=expected_revision, user=user)


def load_project(path: str | Path) -> Project:
    """Read a project file written by ``save_project``.

    Raises
    ------
    ProjectFileError
        When the file is missing, not a GeoPackage, or not a GridAtlas project.
    """
    from geo.store import open_store

    return open_store(path).load()
