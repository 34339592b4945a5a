"""The project file: one GeoPackage holding every layer, table and setting of a plan.

Saves are atomic: the whole project is written to a temporary file beside the target,
flushed to disk, then moved over the old file with ``os.replace``. A crash or kill
mid-save leaves the previous file intact. A ``revision`` counter in the metadata lets
a later save detect that another session saved in between (``ConflictError``).
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

try:  # POSIX advisory locks; on Windows the revision check alone guards saves
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from geo import __version__
from geo.audit import log_event, project_counts
from geo.errors import ConflictError, ProjectFileError
from geo.schema import (
    ASSIGNMENT_COLUMNS, ASSIGNMENTS, DEFAULT_SCENARIO, DEFAULT_SETTINGS, META, SCENARIO, SPATIAL_LAYERS,
    STORAGE_CRS,
    TEXT_COLUMNS,
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
    labels = table[SCENARIO].map(lambda v: DEFAULT_SCENARIO if v is None or v != v or str(v) == "" else str(v))
    return table[labels == str(scenario)]


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
    with sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True) as conn:
        row = conn.execute(f"SELECT value FROM {META} WHERE key = 'revision'").fetchone()
    return int(json.loads(row[0])) if row else 0


def save_project(project: Project, path: str | Path, *, expected_revision: int | None = None,
                 user: str = "") -> Project:
    """Write ``project`` to ``path`` atomically; return it with ``revision`` incremented.

    The save is logged in the audit table it writes (``save``, by ``user``).

    Parameters
    ----------
    expected_revision
        When given and the file on disk has another revision, raise ``ConflictError``
        instead of overwriting someone else's save.
    """
    path = Path(os.path.realpath(path))  # through a symlink: replace the file it names, not the link
    path.parent.mkdir(parents=True, exist_ok=True)
    with _save_lock(path):
        return _save_locked(project, path, expected_revision, user)


@contextmanager
def _save_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the project's folder so check-revision-then-write is one step.

    Locking the folder (not a sidecar file) leaves nothing behind beside the project. With the
    lock held no save of this project is running, so any ``.<stem>.<8 chars>.tmp.gpkg`` beside it
    was left by a killed save: it is deleted.
    """
    if fcntl is None:  # pragma: no cover - Windows: the revision check alone guards saves
        yield
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        prefix = f".{path.stem}."  # + mkstemp's 8 random characters: `p.x.gpkg`'s temp files never match `p`
        for orphan in path.parent.iterdir():
            name = orphan.name
            if name.startswith(prefix) and name.endswith(".tmp.gpkg") and len(name) == len(prefix) + 8 + 9:
                orphan.unlink(missing_ok=True)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _save_locked(project: Project, path: Path, expected_revision: int | None, user: str) -> Project:
    if expected_revision is not None and path.exists():
        disk = read_revision(path)
        if disk != expected_revision:
            msg = f"{path} is at revision {disk}, expected {expected_revision}"
            raise ConflictError(msg, file=str(path), disk_revision=disk, our_revision=expected_revision)
    base = read_revision(path) if path.exists() else project.revision
    now = now_iso()
    meta = {**project.meta, "revision": max(base, project.revision) + 1, "saved_at": now,
            "gridatlas_version": __version__}
    saved = log_event(replace(project, meta=meta), action="save", user=user, obj=path.name, now=now,
                      counts={"revision": meta["revision"], **project_counts(project)})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)  # let GDAL create the file itself
    try:
        _write_all(saved, Path(tmp_name))
        with open(tmp_name, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return saved


def _write_all(project: Project, tmp: Path) -> None:
    for name, gdf in project.layers.items():
        out = gdf.to_crs(STORAGE_CRS) if gdf.crs is not None else gdf.set_crs(STORAGE_CRS)
        pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG")
    for name, df in project.tables.items():
        pyogrio.write_dataframe(_for_write(df), tmp, layer=name, driver="GPKG")
    meta_df = pd.DataFrame({"key": list(project.meta),
                            "value": [json.dumps(v, ensure_ascii=False) for v in project.meta.values()]})
    pyogrio.write_dataframe(meta_df, tmp, layer=META, driver="GPKG")


def _for_write(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False))
    if out.empty and len(out.columns) == 0:
        out = pd.DataFrame({"empty": pd.Series(dtype=str)})
    return out


def load_project(path: str | Path) -> Project:
    """Read a project file written by ``save_project``.

    Raises
    ------
    ProjectFileError
        When the file is missing, not a GeoPackage, or not a GridAtlas project.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path} does not exist"
        raise ProjectFileError(msg, code="file_not_found", file=str(path))
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL raises several types for non-GeoPackage input
        msg = f"{path} is not a GeoPackage: {exc}"
        raise ProjectFileError(msg, code="project_file.not_gpkg", file=str(path)) from exc
    if META not in names:
        msg = f"{path} has no {META} table"
        raise ProjectFileError(msg, code="project_file.no_meta", file=str(path))
    meta_df = pyogrio.read_dataframe(path, layer=META)
    meta = {k: json.loads(v) for k, v in zip(meta_df["key"], meta_df["value"])}
    project = Project(meta=meta)
    for name in names:
        if name == META:
            continue
        if name in SPATIAL_LAYERS:
            gdf = pyogrio.read_dataframe(path, layer=name)
            project.layers[name] = _restore_types(gdf)
        else:
            df = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
            project.tables[name] = _restore_types(pd.DataFrame(df))
    return project


def _restore_types(df: pd.DataFrame) -> pd.DataFrame:
    for col in TEXT_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype("string").astype(object).where(df[col].notna(), None)
    return df
