"""The GeoPackage store: one .gpkg file, saved in place by writing only the rows that changed.

How a save works
----------------
``load`` keeps a *snapshot* on the project (``Project._stored``): a copy of every frame as read,
the GeoPackage ``fid`` of each row, the metadata, the revision and the scope (which layers,
town or community were read). ``save`` compares each frame with its snapshot copy (geometry by
object identity, other columns by value: an in-place edit of a frame is seen), hashes the rows
of the frames that differ and, inside one SQLite transaction (``BEGIN IMMEDIATE``), deletes the
rows that went away (by fid) and inserts the new ones; unchanged tables are not touched, new
tables are created, a table whose columns no longer fit is rewritten. Rows are GeoPackage
features (GP header + WKB; the R-tree triggers GDAL created run on ``ST_*`` functions registered
on the connection), so GDAL, pyogrio and QGIS read the file as before. Rows keep their order;
a changed row moves to the end of its table.

A file without a snapshot to diff against that is not this store's (new, or written by an
older GridAtlas) is written once whole, the old way: a temporary file beside it, then
``os.replace``. A project with no snapshot saved over a store file is diffed against the file.

Concurrency
-----------
Each save records the units (communities, ``geo.store.units``) it changed in a change log. A
save expecting an older revision succeeds when no unit it changes was changed since; its rows
are merged in and the returned project is read again (both edits). Otherwise
``ConflictError`` (``save_conflict.units``) names the units. Saves of one folder are serialised
by an exclusive lock on the folder (which also removes temp files of killed saves); loads hold
a shared lock, so a load never sees half of a save.
"""
from __future__ import annotations

import json
import os
import sqlite3
import struct
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

try:  # POSIX advisory locks; on Windows the revision check alone guards saves
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from geo import __version__
from geo import schema as s
from geo.accounts import ACCOUNT_FIELDS
from geo.audit import keep_stored, log_event, project_counts, seal_audit
from geo.errors import ConflictError, GeoInputError, ProjectFileError
from geo.project import Project
from geo.store.rows import frames_equal, is_geometry, match_rows
from geo.store.units import (
    ALL_UNITS, COMMUNITY_UNIT_COLUMNS, GRID_UNIT_COLUMNS, NO_UNIT, UNLOGGED_TABLES, row_units, unit_tree,
)
from geo.values import now_iso

STORE_TABLE = "gridatlas_store"  # key/value: the store's uuid (changes when the file is rewritten whole)
UNITS_TABLE = "gridatlas_unit_revisions"  # unit -> last revision that changed it
CHANGES_TABLE = "gridatlas_changes"  # (revision, unit, table_name): the change log
ACCOUNTS_TABLE = "gridatlas_accounts"  # geo.accounts: never registered in gpkg_contents, never in a Project
BOOKKEEPING = (STORE_TABLE, UNITS_TABLE, CHANGES_TABLE, ACCOUNTS_TABLE)
SAVE_KEYS = ("revision", "saved_at", "gridatlas_version")  # meta keys every save writes (no unit)
GEOM = "geom"
SRS_ID = 4326
LOCK_TIMEOUT_S = 60.0
INTEGER_TYPES = ("INTEGER", "MEDIUMINT", "SMALLINT", "TINYINT", "INT")
REAL_TYPES = ("REAL", "FLOAT", "DOUBLE")


# --- the snapshot a loaded project carries ---------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """What a project holds of its store: some layers (None: all), one town or community (None: all)."""

    layers: frozenset[str] | None = None
    town: str | None = None
    community: str | None = None
    communities: frozenset[str] | None = None  # the community codes inside town/community scope

    @property
    def is_whole(self) -> bool:
        """Whether the project holds every row of every table."""
        return self.layers is None and self.town is None and self.community is None


@dataclass
class Snapshot:
    """The frames as read from (or written to) a store, with each row's fid."""

    location: str
    store_id: str
    revision: int
    scope: Scope
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    fids: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # key -> JSON text
    hashes: dict[str, tuple[tuple[str, ...], np.ndarray]] = field(default_factory=dict)  # row hashes, lazily

    def row_hashes(self, name: str, columns: list[str]) -> np.ndarray:
        """The row hashes of the snapshot frame ``name`` over ``columns`` (computed once)."""
        key = tuple(columns)
        if name not in self.hashes or self.hashes[name][0] != key:
            self.hashes[name] = (key, row_hashes(self.frames[name], columns))
        return self.hashes[name][1]


def _copy_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose arrays are new (an in-place edit of ``df`` does not reach it); objects shared."""
    return df.copy(deep=True)


def _meta_texts(meta: dict[str, Any]) -> dict[str, str]:
    return {str(k): json.dumps(v, ensure_ascii=False) for k, v in meta.items()}


# --- GeoPackage geometry blobs and the SQL functions of GDAL's R-tree triggers ----------------
def gpkg_blob(geom: Any) -> bytes | None:
    """A GeoPackage geometry blob (GP header, SRS 4326, xy envelope unless a point, then WKB)."""
    if geom is None:
        return None
    wkb = shapely.to_wkb(geom, byte_order=1, flavor="iso")
    if shapely.is_empty(geom):
        return b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", SRS_ID) + wkb
    if shapely.get_type_id(geom) == 0:
        return b"GP\x00\x01" + struct.pack("<i", SRS_ID) + wkb
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return b"GP\x00\x03" + struct.pack("<i4d", SRS_ID, minx, maxx, miny, maxy) + wkb


_ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}


def _blob_bounds(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a GP blob, None when null or empty."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0b10000:
        return None
    order = "<" if flags & 1 else ">"
    n = _ENVELOPE_DOUBLES.get((flags >> 1) & 0b111, 0)
    if n:
        minx, maxx, miny, maxy = struct.unpack(order + "4d", blob[8:40])
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(bytes(blob[8:]))
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _st(index: int) -> Any:
    def fn(blob: bytes | None) -> float | None:
        bounds = _blob_bounds(blob)
        return None if bounds is None else bounds[index]
    return fn


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the GeoPackage with the SQL functions GDAL's triggers call (autocommit mode)."""
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _st(i), deterministic=True)
    conn.create_function("ST_IsEmpty", 1, lambda b: 1 if _blob_bounds(b) is None else 0, deterministic=True)
    return conn


# --- locks ---------------------------------------------------------------------------------------
@contextmanager
def folder_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a lock on the project's folder: exclusive to save, shared to load.

    Locking the folder (not a sidecar file) leaves nothing behind beside the project. With the
    exclusive lock held no save of this project is running, so any ``.<stem>.<8 chars>.tmp.gpkg``
    beside it was left by a killed save: it is deleted.
    """
    if fcntl is None:  # pragma: no cover - Windows: the revision check alone guards saves
        yield
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        if exclusive:
            _remove_orphans(path)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _remove_orphans(path: Path) -> None:
    prefix = f".{path.stem}."  # + mkstemp's 8 random characters: `p.x.gpkg`'s temp files never match `p`
    for orphan in path.parent.iterdir():
        name = orphan.name
        if name.startswith(prefix) and name.endswith(".tmp.gpkg") and len(name) == len(prefix) + 8 + 9:
            orphan.unlink(missing_ok=True)


# --- column types ----------------------------------------------------------------------------------
def sql_type(series: pd.Series) -> str:
    """The GeoPackage column type GDAL gives a column of this dtype."""
    kind = series.dtype.kind
    if kind == "b":
        return "BOOLEAN"
    if kind in "iu":
        return {1: "SMALLINT", 2: "SMALLINT", 4: "MEDIUMINT"}.get(series.dtype.itemsize, "INTEGER")
    if kind == "f":
        return "FLOAT" if series.dtype.itemsize == 4 else "REAL"
    if kind == "M":
        return "DATETIME"
    return "TEXT"


def _fits(declared: str, series: pd.Series) -> bool:
    """Whether values of ``series`` stored in a column of type ``declared`` read back as they are."""
    declared = declared.upper()
    if series.isna().all() and len(series):
        return True
    kind = series.dtype.kind
    if declared.startswith(INTEGER_TYPES):
        return kind in "iu"
    if declared.startswith(REAL_TYPES):
        return kind == "f"
    if declared == "BOOLEAN":
        return kind == "b"
    if declared in ("DATETIME", "DATE"):
        return kind == "M"
    if declared.startswith("TEXT"):
        return kind not in "biufcmM"
    return False


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _sql_values(series: pd.Series, declared: str) -> list[Any]:
    """The values of ``series`` as bound to a column of type ``declared`` (None for missing)."""
    values = series.astype(object).tolist()
    missing = pd.isna(series).tolist() if not is_geometry(series) else [v is None for v in values]
    declared = declared.upper()
    if declared.startswith(INTEGER_TYPES) or declared == "BOOLEAN":
        conv: Any = int
    elif declared.startswith(REAL_TYPES):
        conv = float
    elif declared in ("DATETIME", "DATE"):
        conv = _datetime_text
    else:
        conv = _text
    return [None if m else conv(v) for v, m in zip(values, missing)]


def _datetime_text(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
            return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return str(value)


# --- row hashes ----------------------------------------------------------------------------------------
def _canonical(series: pd.Series) -> pd.Series:
    """One column as values whose hash depends only on what is stored (not on the dtype flavour)."""
    if is_geometry(series):
        return pd.Series(shapely.to_wkb(np.asarray(series.array, dtype=object), hex=True, byte_order=1),
                         dtype=object)
    kind = series.dtype.kind
    if kind in "biuf":
        return pd.Series(series.to_numpy(dtype="float64", na_value=np.nan))
    if kind == "M":
        return pd.Series(series.astype("int64").to_numpy())
    values = series.to_numpy(dtype=object, na_value=None)
    if all(isinstance(v, str) or v is None for v in values):
        return pd.Series(values, dtype=object)
    return pd.Series([None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else _text(v)
                      for v in values], dtype=object)


def row_hashes(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row over ``columns`` (a missing column counts as all null)."""
    if len(df) == 0:
        return np.array([], dtype="uint64")
    canon = {}
    for i, col in enumerate(columns):
        canon[i] = (_canonical(df[col].reset_index(drop=True)) if col in df.columns
                    else pd.Series([None] * len(df), dtype=object))
    return pd.util.hash_pandas_object(pd.DataFrame(canon), index=False).to_numpy()


# --- reading the file ------------------------------------------------------------------------------------
def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _table_names(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid").fetchall()
    return [str(r[0]) for r in rows if r[0] not in BOOKKEEPING]


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """Column name → declared type, without fid (geometry included)."""
    rows = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    return {str(r[1]): str(r[2]) for r in rows if not r[5]}


def _geometry_column(conn: sqlite3.Connection, table: str) -> str | None:
    row = conn.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)).fetchone()
    return str(row[0]) if row else None


def _read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute(f"SELECT key, value FROM {s.META}")}


def _store_id(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute(f"SELECT value FROM {STORE_TABLE} WHERE key = 'uuid'").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _restore_types(df: pd.DataFrame) -> pd.DataFrame:
    for col in s.TEXT_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype("string").astype(object).where(df[col].notna(), None)
    return df


def _read_frame(path: Path, name: str, *, spatial: bool, where: str | None = None,
                bbox: tuple[float, float, float, float] | None = None,
                columns: Collection[str] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """One table as the project holds it (text codes restored) and the fid of each row."""
    # Arrow transfer: the same frames (dtypes, values, index) 3-7x faster than row by row; the demo
    # project loads in a third of the time, the most of an app's first page after server start
    options: dict[str, Any] = {"layer": name, "fid_as_index": True, "use_arrow": True}
    if where:
        options["where"] = where
    if bbox is not None:
        options["bbox"] = bbox
    if columns is not None:
        options["columns"] = list(columns)
    if spatial:
        df = pyogrio.read_dataframe(path, **options)
    else:
        df = pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False, **options))
    fids = df.index.to_numpy(dtype="int64")
    df = df.reset_index(drop=True)
    return _restore_types(df), fids


# --- the scope of a partial read -------------------------------------------------------------------------
def _light(conn: sqlite3.Connection, table: str, wanted: tuple[str, ...]) -> pd.DataFrame:
    if table not in _table_names(conn):
        return pd.DataFrame(columns=list(wanted))
    have = [c for c in wanted if c in _columns(conn, table)]
    if not have:
        return pd.DataFrame(columns=list(wanted))
    sql = f"SELECT {', '.join(_quote(c) for c in have)} FROM {_quote(table)}"
    df = pd.DataFrame(conn.execute(sql).fetchall(), columns=have, dtype=object)
    return df


@dataclass(frozen=True)
class _Filters:
    """SQL WHERE clauses per table for one town or community."""

    scope: Scope
    where: dict[str, str]
    town_codes: tuple[str, ...]
    bbox: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # tables without unit codes


_UNIT_TREES: dict[tuple, tuple[pd.Series, pd.DataFrame]] = {}  # (file, inode, store id, revision) -> trees


def _unit_tree(conn: sqlite3.Connection, path: Path | None) -> tuple[pd.Series, pd.DataFrame]:
    """Each community's town and the grid tree (``geo.hierarchy``) of the stored units, from the code columns.

    Kept once per stored revision of a file: a city's tree takes a second to build and every
    partial read (one town, one community) needs it; a save makes a new revision.
    """
    from geo.hierarchy import community_towns, grid_tree

    store_id = _store_id(conn)
    key = (str(path), path.stat().st_ino, store_id, _disk_revision(conn)) if path is not None and store_id else None
    if key is not None and key in _UNIT_TREES:
        return _UNIT_TREES[key]
    comms = _light(conn, s.COMMUNITIES, COMMUNITY_UNIT_COLUMNS)
    light = Project(layers={s.GRIDS: _light(conn, s.GRIDS, GRID_UNIT_COLUMNS), s.COMMUNITIES: comms})  # type: ignore[dict-item]
    trees = (community_towns(light), grid_tree(light))
    if key is not None:
        for old in [k for k in _UNIT_TREES if k[0] == key[0]] + list(_UNIT_TREES)[:-7]:  # one per file, 8 files
            _UNIT_TREES.pop(old, None)
        _UNIT_TREES[key] = trees
    return trees


def _scope_filters(conn: sqlite3.Connection, *, town: str | None, community: str | None,
                   layers: frozenset[str] | None, path: Path | None = None) -> _Filters:
    if town is None and community is None:
        return _Filters(Scope(layers=layers), {}, ())
    from geo.hierarchy import unit_grid_codes

    towns_of, tree = _unit_tree(conn, path)
    if community is not None:
        comm_codes = [str(community)]
        town_codes = [str(towns_of.get(str(community)))] if towns_of.get(str(community)) else []
        grid_codes = unit_grid_codes(tree, level="community", code=str(community))
    else:
        comm_codes = [str(c) for c, t in towns_of.items() if t == str(town)]
        town_codes = [str(town)]
        grid_codes = unit_grid_codes(tree, level="town", code=str(town))

    def inlist(values: list[str]) -> str:
        return "(" + ", ".join(_literal(v) for v in values) + ")" if values else "(NULL)"

    where = {s.TOWNS: f"{s.CODE} IN {inlist(town_codes)}", s.COMMUNITIES: f"{s.CODE} IN {inlist(comm_codes)}",
             s.GRIDS: f"{s.CODE} IN {inlist(grid_codes)}"}
    for name in _table_names(conn):
        if name in where or name == s.META:
            continue
        cols = _columns(conn, name)
        if s.GRID_CODE in cols and name != s.VOLUNTEERS:
            where[name] = f"{s.GRID_CODE} IN {inlist(grid_codes)}"
        elif s.COMMUNITY_CODE in cols:
            where[name] = f"{s.COMMUNITY_CODE} IN {inlist(comm_codes)}"
    scope = Scope(layers=layers, town=town, community=community, communities=frozenset(comm_codes))
    extent = _extent(conn, s.COMMUNITIES, f"{s.CODE} IN {inlist(comm_codes)}")
    bbox = {n: extent for n in _table_names(conn)
            if extent is not None and n not in where and n != s.META and _geometry_column(conn, n) is not None}
    return _Filters(scope, where, tuple(town_codes), bbox)


def _extent(conn: sqlite3.Connection, table: str, where: str) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of the rows of ``table`` matching ``where``, from its R-tree."""
    geom = _geometry_column(conn, table)
    rtree = f"rtree_{table}_{geom}"
    if geom is None or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
        return None
    row = conn.execute(f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {_quote(rtree)} WHERE id IN "
                       f"(SELECT fid FROM {_quote(table)} WHERE {where})").fetchone()
    return None if row is None or row[0] is None else (row[0], row[1], row[2], row[3])


# --- the store -----------------------------------------------------------------------------------------------
class GeoPackageStore:
    """A project in one GeoPackage file (the embedded default: no server)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)

    def _real(self) -> Path:
        return Path(os.path.realpath(self.path))  # through a symlink: the file it names

    def exists(self) -> bool:
        """Whether a GridAtlas project is stored here."""
        if not self.path.exists():
            return False
        try:
            with folder_lock(self._real(), exclusive=False), _open(self._real()) as conn:
                return s.META in _table_names(conn)
        except (sqlite3.DatabaseError, ProjectFileError):
            return False

    def revision(self) -> int:
        """The stored project's revision (cheap: reads the meta table only)."""
        _check_file(self._real())
        with folder_lock(self._real(), exclusive=False), _open(self._real()) as conn:
            return _disk_revision(conn)

    def load(self, *, layers: Collection[str] | None = None, town: str | None = None,
             community: str | None = None) -> Project:
        """The project, or only ``layers`` and only the rows of one ``town`` / ``community``.

        Raises
        ------
        ProjectFileError
            When the file is missing, not a GeoPackage, or not a GridAtlas project.
        """
        path = self._real()
        _check_file(path)
        with folder_lock(path, exclusive=False):
            return _load(path, layers=None if layers is None else frozenset(layers), town=town,
                         community=community)

    def read_layer(self, name: str, *, town: str | None = None, community: str | None = None,
                   bbox: tuple[float, float, float, float] | None = None,
                   columns: Collection[str] | None = None) -> gpd.GeoDataFrame:
        """One layer (or table), filtered by unit, bounding box (WGS 84, the R-tree) and columns."""
        path = self._real()
        _check_file(path)
        with folder_lock(path, exclusive=False), _open(path) as conn:
            filters = _scope_filters(conn, town=town, community=community, layers=frozenset([name]), path=path)
            if name not in _table_names(conn):
                msg = f"{path} has no layer {name}"
                raise ProjectFileError(msg, code="store.no_layer", file=str(path), layer=name)
            spatial = _geometry_column(conn, name) is not None
            box = bbox if bbox is not None else filters.bbox.get(name)
            df, _ = _read_frame(path, name, spatial=spatial, where=filters.where.get(name),
                                bbox=box if spatial else None, columns=columns)
        return df

    def read_accounts(self) -> list[dict[str, Any]]:
        """The rows of the private accounts table (``geo.accounts``), none when it has none."""
        path = self._real()
        _check_file(path)
        with folder_lock(path, exclusive=False), _open(path) as conn:
            return _read_accounts(conn)

    def write_account(self, row: dict[str, Any]) -> None:
        """Insert or replace one account row (by name) in the private accounts table."""
        path = self._real()
        _check_file(path)
        with folder_lock(path, exclusive=True), _open(path) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                _create_private(conn)
                names = ", ".join(_quote(k) for k in ACCOUNT_FIELDS)
                conn.execute(f"INSERT OR REPLACE INTO {ACCOUNTS_TABLE} ({names}) VALUES "
                             f"({', '.join('?' * len(ACCOUNT_FIELDS))})", [row.get(k) for k in ACCOUNT_FIELDS])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def save(self, project: Project, *, expected_revision: int | None = None, user: str = "") -> Project:
        """Write what changed since ``project`` was loaded; return it as saved (new revision).

        Raises
        ------
        ConflictError
            ``save_conflict.units`` when a unit this save changes was saved by someone else since
            ``expected_revision``; ``save_conflict`` when a whole-file save finds another revision.
        """
        path = self._real()
        path.parent.mkdir(parents=True, exist_ok=True)
        with folder_lock(path, exclusive=True):
            snap = _usable_snapshot(project, path)
            if snap is None and path.exists() and _has_bookkeeping(path):
                snap = _snapshot_from_disk(path, project, expected_revision)
                if snap is not None and s.AUDIT in snap.frames:  # the stored log stays: append-only
                    audit = keep_stored(snap.frames[s.AUDIT], project.table(s.AUDIT))
                    project = replace(project, tables={**project.tables, s.AUDIT: audit})
            if snap is None:
                return _save_whole(project, path, expected_revision, user)
            return _save_changes(project, snap, path, expected_revision, user)


def _read_accounts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (ACCOUNTS_TABLE,)).fetchone():
        return []
    names = ", ".join(_quote(k) for k in ACCOUNT_FIELDS)
    return [dict(zip(ACCOUNT_FIELDS, r)) for r in conn.execute(f"SELECT {names} FROM {ACCOUNTS_TABLE} ORDER BY name")]


def _carry_accounts(conn: sqlite3.Connection, old: Path) -> None:
    """Copy the accounts of the file ``old`` (being rewritten whole) into the new file of ``conn``."""
    conn.execute("ATTACH DATABASE ? AS old_file", (str(old),))
    try:
        found = conn.execute("SELECT 1 FROM old_file.sqlite_master WHERE type = 'table' AND name = ?",
                             (ACCOUNTS_TABLE,)).fetchone()
        if found:
            names = ", ".join(_quote(k) for k in ACCOUNT_FIELDS)
            conn.execute("BEGIN")
            _create_private(conn)
            conn.execute(f"INSERT OR REPLACE INTO main.{ACCOUNTS_TABLE} ({names}) SELECT {names} "
                         f"FROM old_file.{ACCOUNTS_TABLE}")
            conn.execute("COMMIT")
    except sqlite3.DatabaseError:  # the old file is not SQLite: it had no accounts
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    finally:
        conn.execute("DETACH DATABASE old_file")


AUDIT_GUARD = "gridatlas_audit_append_only"


def guard_audit(conn: sqlite3.Connection) -> None:
    """Triggers refusing UPDATE and DELETE on the audit table (created once; DROP still works: see README)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (s.AUDIT,)).fetchone():
        return
    for op in ("UPDATE", "DELETE"):
        conn.execute(f'CREATE TRIGGER IF NOT EXISTS "{AUDIT_GUARD}_{op.lower()}" BEFORE {op} ON {_quote(s.AUDIT)} '
                     "BEGIN SELECT RAISE(ABORT, 'gridatlas: the audit log is append-only'); END")


def _seal(conn: sqlite3.Connection, project: Project) -> Project:
    """``project`` with its new audit rows linked after the last row the file holds (``geo.audit.seal_audit``)."""
    if s.AUDIT not in project.tables or "row_hash" not in project.tables[s.AUDIT].columns:
        return project
    stored: list[str] = []
    if s.AUDIT in _table_names(conn) and "row_hash" in _columns(conn, s.AUDIT):
        stored = [str(r[0]) for r in conn.execute(f"SELECT row_hash FROM {_quote(s.AUDIT)} WHERE row_hash IS NOT NULL "
                                                  "AND row_hash != '' ORDER BY fid")]
    table = project.tables[s.AUDIT]
    sealed = seal_audit(table, head=stored[-1] if stored else "", stored=stored)
    return project if sealed is table else replace(project, tables={**project.tables, s.AUDIT: sealed})


def _check_append_only(changes: list[_TableChange], path: Path) -> None:
    """Refuse a save that would change or remove audit rows (``audit.append_only``)."""
    for change in changes:
        if change.name == s.AUDIT and (change.drop or len(change.delete_fids)):
            msg = f"{path}: a save may only append to the audit log"
            raise GeoInputError(msg, code="audit.append_only", table=s.AUDIT,
                                rows=max(len(change.delete_fids), 1))


def _create_private(conn: sqlite3.Connection) -> None:
    """The accounts table (plain SQLite, not a GeoPackage table: GDAL and QGIS do not list it)."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {ACCOUNTS_TABLE} (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                 "level TEXT, code TEXT, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, "
                 "failed INTEGER NOT NULL DEFAULT 0, locked_until TEXT, created_at TEXT, updated_at TEXT, "
                 "last_login TEXT)")


@contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        conn = connect(path)
    except sqlite3.DatabaseError as exc:
        msg = f"{path} is not a GeoPackage: {exc}"
        raise ProjectFileError(msg, code="project_file.not_gpkg", file=str(path)) from exc
    try:
        yield conn
    finally:
        conn.close()


def _check_file(path: Path) -> None:
    if not path.exists():
        msg = f"{path} does not exist"
        raise ProjectFileError(msg, code="file_not_found", file=str(path))


def _disk_revision(conn: sqlite3.Connection) -> int:
    row = conn.execute(f"SELECT value FROM {s.META} WHERE key = 'revision'").fetchone()
    return int(json.loads(row[0])) if row else 0


def _has_bookkeeping(path: Path) -> bool:
    with _open(path) as conn:
        try:
            return _store_id(conn) is not None
        except sqlite3.DatabaseError:
            return False


def _usable_snapshot(project: Project, path: Path) -> Snapshot | None:
    snap = project._stored
    if not isinstance(snap, Snapshot) or snap.location != str(path) or not path.exists():
        return None
    if project.revision != snap.revision:  # the project claims another base than what was read: trust the file
        return None
    with _open(path) as conn:
        return snap if _store_id(conn) == snap.store_id else None


def _load(path: Path, *, layers: frozenset[str] | None, town: str | None, community: str | None) -> Project:
    with _open(path) as conn:
        try:
            conn.execute("BEGIN")  # rolls back the journal of a killed save, if any
            names = _table_names(conn)
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            msg = f"{path} is not a GeoPackage: {exc}"
            raise ProjectFileError(msg, code="project_file.not_gpkg", file=str(path)) from exc
        if s.META not in names:
            msg = f"{path} has no {s.META} table"
            raise ProjectFileError(msg, code="project_file.no_meta", file=str(path))
        meta_texts = _read_meta(conn)
        filters = _scope_filters(conn, town=town, community=community, layers=layers, path=path)
        spatial = {n for n in names if _geometry_column(conn, n) is not None}
        store_id = _store_id(conn) or ""
    meta = {k: json.loads(v) for k, v in meta_texts.items()}
    project = Project(meta=meta)
    snap = Snapshot(location=str(path), store_id=store_id, revision=int(meta.get("revision", 0)),
                    scope=filters.scope, meta=meta_texts)
    for name in names:
        if name == s.META or (layers is not None and name not in layers):
            continue
        is_layer = name in s.SPATIAL_LAYERS and name in spatial
        df, fids = _read_frame(path, name, spatial=is_layer, where=filters.where.get(name),
                               bbox=filters.bbox.get(name) if is_layer else None)
        if is_layer:
            project.layers[name] = df  # type: ignore[assignment]
        else:
            project.tables[name] = df
        snap.frames[name] = _copy_frame(df)
        snap.fids[name] = fids
    return replace(project, _stored=snap)


def _snapshot_from_disk(path: Path, project: Project, expected_revision: int | None) -> Snapshot | None:
    """A snapshot of the whole file to diff ``project`` against (it was built, not loaded, here)."""
    with _open(path) as conn:
        disk = _disk_revision(conn)
    if expected_revision is not None and disk != expected_revision:
        msg = f"{path} is at revision {disk}, expected {expected_revision}"
        raise ConflictError(msg, file=str(path), disk_revision=disk, our_revision=expected_revision)
    loaded = _load(path, layers=None, town=None, community=None)
    return loaded._stored


# --- whole-file write (new or legacy files) ------------------------------------------------------------------
def _prepare(project: Project, path: Path, base: int, user: str) -> Project:
    now = now_iso()
    meta = {**project.meta, "revision": max(base, project.revision) + 1, "saved_at": now,
            "gridatlas_version": __version__}
    return log_event(replace(project, meta=meta), action="save", user=user, obj=path.name, now=now,
                     counts={"revision": meta["revision"], **project_counts(project)})


def _for_write(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False))
    if out.empty and len(out.columns) == 0:
        out = pd.DataFrame({"empty": pd.Series(dtype=str)})
    return out


def write_whole_file(project: Project, path: Path) -> None:
    """Write every layer, table and the metadata of ``project`` into a new GeoPackage (GDAL).

    This is the pre-store writer: ``bench.save`` times it as the "before" figure.
    """
    for name, gdf in project.layers.items():
        out = gdf.to_crs(s.STORAGE_CRS) if gdf.crs is not None else gdf.set_crs(s.STORAGE_CRS)
        pyogrio.write_dataframe(out, path, layer=name, driver="GPKG")
    for name, df in project.tables.items():
        pyogrio.write_dataframe(_for_write(df), path, layer=name, driver="GPKG")
    meta_df = pd.DataFrame({"key": list(project.meta),
                            "value": [json.dumps(v, ensure_ascii=False) for v in project.meta.values()]})
    pyogrio.write_dataframe(meta_df, path, layer=s.META, driver="GPKG")


def _create_bookkeeping(conn: sqlite3.Connection, store_id: str, revision: int) -> None:
    conn.execute(f"CREATE TABLE {STORE_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute(f"CREATE TABLE {UNITS_TABLE} (unit TEXT PRIMARY KEY, revision INTEGER NOT NULL)")
    conn.execute(f"CREATE TABLE {CHANGES_TABLE} (revision INTEGER NOT NULL, unit TEXT NOT NULL, "
                 "table_name TEXT)")
    conn.execute(f"CREATE INDEX {CHANGES_TABLE}_revision ON {CHANGES_TABLE} (revision)")
    conn.execute(f"INSERT INTO {STORE_TABLE} VALUES ('uuid', ?), ('format', 'GridAtlas project')", (store_id,))
    _log_units(conn, revision, {ALL_UNITS: "*"})


def _log_units(conn: sqlite3.Connection, revision: int, units: dict[str, str]) -> None:
    conn.executemany(f"INSERT INTO {CHANGES_TABLE} VALUES (?, ?, ?)", [(revision, u, t) for u, t in units.items()])
    conn.executemany(f"INSERT INTO {UNITS_TABLE} VALUES (?, ?) ON CONFLICT(unit) DO UPDATE SET revision = "
                     "excluded.revision", [(u, revision) for u in units])


def _save_whole(project: Project, path: Path, expected_revision: int | None, user: str) -> Project:
    base = project.revision
    if path.exists():
        with _open(path) as conn:
            try:
                base = _disk_revision(conn)
            except sqlite3.DatabaseError:
                base = project.revision
        if expected_revision is not None and base != expected_revision:
            msg = f"{path} is at revision {base}, expected {expected_revision}"
            raise ConflictError(msg, file=str(path), disk_revision=base, our_revision=expected_revision)
    saved = _prepare(replace(project, _stored=None), path, base, user)
    saved = replace(saved, layers={n: (g.to_crs(s.STORAGE_CRS) if g.crs is not None else g.set_crs(s.STORAGE_CRS))
                                   for n, g in saved.layers.items()})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)  # let GDAL create the file itself
    tmp = Path(tmp_name)
    store_id = uuid.uuid4().hex
    try:
        write_whole_file(saved, tmp)
        with _open(tmp) as conn:
            conn.execute("BEGIN")
            _create_bookkeeping(conn, store_id, saved.revision)
            guard_audit(conn)
            conn.execute("COMMIT")
            if path.exists():
                _carry_accounts(conn, path)
            fids = {n: np.array([r[0] for r in conn.execute(f"SELECT fid FROM {_quote(n)} ORDER BY fid")],
                                dtype="int64") for n in [*saved.layers, *saved.tables]}
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    snap = Snapshot(location=str(path), store_id=store_id, revision=saved.revision, scope=Scope(),
                    meta=_meta_texts(saved.meta))
    for name, df in [*saved.layers.items(), *saved.tables.items()]:
        snap.frames[name] = _copy_frame(df)
        snap.fids[name] = fids[name] if len(fids[name]) == len(df) else np.arange(1, len(df) + 1)
    return replace(saved, _stored=snap)


# --- incremental save -----------------------------------------------------------------------------------------
@dataclass
class _TableChange:
    """What one save does to one table."""

    name: str
    frame: pd.DataFrame  # the frame as saved
    create: bool = False  # a new table (or rewritten: drop first)
    drop: bool = False
    delete_fids: np.ndarray = field(default_factory=lambda: np.array([], dtype="int64"))
    insert_pos: np.ndarray = field(default_factory=lambda: np.array([], dtype="int64"))
    kept_fids: np.ndarray = field(default_factory=lambda: np.array([], dtype="int64"))  # -1 where inserted
    add_columns: list[str] = field(default_factory=list)
    units: set[str] = field(default_factory=set)
    hashes: tuple[tuple[str, ...], np.ndarray] | None = None  # of ``frame``'s rows, when computed


def _frames_of(project: Project) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for name, gdf in project.layers.items():
        out[name] = gdf.to_crs(s.STORAGE_CRS) if gdf.crs is not None and gdf.crs != s.STORAGE_CRS else gdf
        if gdf.crs is None:
            out[name] = gdf.set_crs(s.STORAGE_CRS)
    out.update({n: _for_write(df) if len(df.columns) == 0 else df for n, df in project.tables.items()})
    return out


def _diff_table(name: str, frame: pd.DataFrame, snap: Snapshot, disk_columns: dict[str, str] | None
                ) -> _TableChange | None:
    """The change of one table, or None when it is unchanged."""
    old = snap.frames.get(name)
    if disk_columns is None:
        return _TableChange(name, frame, create=True, insert_pos=np.arange(len(frame)),
                            kept_fids=np.full(len(frame), -1))
    if old is None:  # a table this project did not read (created by another save since, or not loaded)
        old = frame.iloc[0:0]
        snap = replace(snap, frames={**snap.frames, name: old}, fids={**snap.fids, name: np.array([], dtype="int64")},
                       hashes={})
    if frames_equal(frame, old):
        return None
    data_cols = [c for c in frame.columns if not is_geometry(frame[c])]
    geom_cols = [c for c in frame.columns if is_geometry(frame[c])]
    disk_data = {c: t for c, t in disk_columns.items() if c != GEOM and t.upper() not in _GEOMETRY_TYPES}
    rewrite = (len(geom_cols) > 1 or (geom_cols and GEOM not in disk_columns)
               or (not geom_cols and GEOM in disk_columns)
               or any(c not in frame.columns for c in disk_data)
               or any(c in disk_data and not _fits(disk_data[c], frame[c]) for c in data_cols))
    if rewrite:
        return _TableChange(name, frame, create=True, drop=True, insert_pos=np.arange(len(frame)),
                            kept_fids=np.full(len(frame), -1))
    columns = [*data_cols, *geom_cols]
    new_hashes = row_hashes(frame, columns)
    matched, gone = match_rows(snap.row_hashes(name, columns), new_hashes)
    fids = snap.fids[name]
    kept = np.where(matched >= 0, fids[np.clip(matched, 0, None)], -1) if len(fids) else np.full(len(frame), -1)
    change = _TableChange(name, frame, delete_fids=fids[gone], insert_pos=np.flatnonzero(matched < 0),
                          kept_fids=kept, add_columns=[c for c in data_cols if c not in disk_columns],
                          hashes=(tuple(columns), new_hashes))
    if geom_cols and len(change.insert_pos) and not _type_fits(disk_columns[GEOM], frame[geom_cols[0]].iloc[
            change.insert_pos]):
        return _TableChange(name, frame, create=True, drop=True, insert_pos=np.arange(len(frame)),
                            kept_fids=np.full(len(frame), -1))
    return change if len(change.delete_fids) or len(change.insert_pos) else None


_GEOMETRY_TYPES = ("GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                   "MULTIPOLYGON", "GEOMETRYCOLLECTION")


def _plan(project: Project, snap: Snapshot, conn: sqlite3.Connection) -> list[_TableChange]:
    frames = _frames_of(project)
    on_disk = set(_table_names(conn))
    changes = []
    for name, frame in frames.items():
        if name == s.META:
            continue
        change = _diff_table(name, frame, snap, _columns(conn, name) if name in on_disk else None)
        if change is not None:
            changes.append(change)
    if snap.scope.is_whole:
        changes += [_TableChange(n, pd.DataFrame(), drop=True) for n in snap.frames if n not in frames and n in on_disk]
    return changes


def _changed_rows(change: _TableChange, snap: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows one change removes (from the snapshot) and adds."""
    old = snap.frames.get(change.name)
    gone = (old.iloc[np.flatnonzero(np.isin(snap.fids[change.name], change.delete_fids))]
            if old is not None and len(change.delete_fids) else pd.DataFrame())
    return gone, change.frame.iloc[change.insert_pos]


def _grid_codes(rows: pd.DataFrame, table: str) -> set[str]:
    column = s.CODE if table == s.GRIDS else s.GRID_CODE
    if column not in rows.columns or table == s.VOLUNTEERS:
        return set()
    return {str(c) for c in rows[column].dropna()}


def _changed_units(changes: list[_TableChange], snap: Snapshot, project: Project,
                   conn: sqlite3.Connection) -> dict[str, str]:
    """Unit → a table it changes, over every change (the audit log excluded)."""
    units: dict[str, str] = {}
    pending = []
    for change in changes:
        if change.name in UNLOGGED_TABLES:
            continue
        if change.drop or (change.create and change.name in snap.frames):
            units[ALL_UNITS] = change.name
            continue
        gone, new = _changed_rows(change, snap)
        pending.append((change, gone, new))
    codes = set().union(*[_grid_codes(g, c.name) | _grid_codes(n, c.name) for c, g, n in pending]) if pending else set()
    tree = pd.Series(dtype=object)
    if codes:
        grids = pd.concat([project.layer(s.GRIDS), *[g for c, g, _ in pending if c.name == s.GRIDS]])
        comms = project.layer(s.COMMUNITIES)
        if not codes <= set(grids[s.CODE].astype(str)) if s.CODE in grids.columns else True:
            grids = pd.concat([grids, _light(conn, s.GRIDS, GRID_UNIT_COLUMNS)])
            comms = pd.concat([comms, _light(conn, s.COMMUNITIES, COMMUNITY_UNIT_COLUMNS)])
        tree = unit_tree(grids, comms, codes=codes)
    for change, gone, new in pending:
        for rows in (gone, new):
            for unit in row_units(change.name, rows, tree):
                units.setdefault(str(unit), change.name)
        change.units = {str(u) for u in row_units(change.name, new, tree)}
    return units


def _check_scope(changes: list[_TableChange], snap: Snapshot, path: Path) -> None:
    """Refuse new rows outside the town/community a partial project was read for."""
    allowed = snap.scope.communities
    if allowed is None:
        return
    for change in changes:
        outside = sorted(u for u in change.units if u not in allowed and u not in (NO_UNIT, ALL_UNITS))
        if outside:
            msg = f"rows of {change.name} outside the loaded scope: {outside}"
            raise GeoInputError(msg, code="store.out_of_scope", file=str(path), table=change.name,
                                units="、".join(outside[:10]))


def _conflicts(conn: sqlite3.Connection, units: dict[str, str], since: int) -> list[str]:
    rows = conn.execute(f"SELECT DISTINCT unit FROM {CHANGES_TABLE} WHERE revision > ?", (since,)).fetchall()
    theirs = {str(r[0]) for r in rows}
    if not units:
        return []
    if ALL_UNITS in theirs or ALL_UNITS in units:
        return sorted(theirs) if theirs else []
    return sorted(set(units) & theirs)


def _save_changes(project: Project, snap: Snapshot, path: Path, expected_revision: int | None,
                  user: str) -> Project:
    with _open(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            saved, merged = _write_changes(conn, project, snap, path, expected_revision, user)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    if merged:
        scope = snap.scope
        return _load(path, layers=scope.layers, town=scope.town, community=scope.community)
    return saved


def _write_changes(conn: sqlite3.Connection, project: Project, snap: Snapshot, path: Path,
                   expected_revision: int | None, user: str) -> tuple[Project, bool]:
    disk = _disk_revision(conn)
    merged = disk != snap.revision
    saved = _seal(conn, _prepare(project, path, disk, user))
    changes = _plan(saved, snap, conn)
    _check_append_only(changes, path)
    units = _changed_units(changes, snap, saved, conn)
    meta_changed = {k for k, v in _meta_texts(saved.meta).items() if snap.meta.get(k) != v and k not in SAVE_KEYS}
    meta_removed = {k for k in snap.meta if k not in saved.meta}
    if meta_changed or meta_removed:
        units.setdefault(NO_UNIT, s.META)
    _check_scope(changes, snap, path)
    if expected_revision is not None and disk != expected_revision:
        clash = _conflicts(conn, units, expected_revision) if expected_revision < disk else [ALL_UNITS]
        if clash:
            msg = f"{path}: units {clash} were saved by someone else since revision {expected_revision}"
            raise ConflictError(msg, code="save_conflict.units", file=str(path), units="、".join(clash[:10]),
                                unit_list=clash, disk_revision=disk, our_revision=expected_revision)
    strict = expected_revision is not None
    try:
        new_fids = {c.name: _apply(conn, c, strict=strict) for c in changes}
    except _RowsGoneError as exc:
        units_text = "、".join(sorted(u for u in units if u not in (NO_UNIT, ALL_UNITS))[:10]) or str(exc)
        msg = f"{path}: rows of {exc} this save replaces were removed by someone else"
        raise ConflictError(msg, code="save_conflict.units", file=str(path), units=units_text,
                            unit_list=sorted(units), disk_revision=disk, our_revision=snap.revision) from exc
    _write_meta(conn, saved.meta, meta_changed | set(SAVE_KEYS), meta_removed)
    _log_units(conn, saved.revision, units or {})
    guard_audit(conn)
    out = Snapshot(location=str(path), store_id=snap.store_id, revision=saved.revision, scope=snap.scope,
                   meta={**snap.meta, **_meta_texts(saved.meta)})
    for k in meta_removed:
        out.meta.pop(k, None)
    frames = _frames_of(saved)
    by_name = {c.name: c for c in changes}
    for name, frame in frames.items():
        written = new_fids.get(name)
        if written is not None:
            out.frames[name] = _copy_frame(frame)
            out.fids[name] = written
            hashes = by_name[name].hashes
            if hashes is not None:
                out.hashes[name] = hashes
        elif name in snap.frames:
            out.frames[name], out.fids[name] = snap.frames[name], snap.fids[name]
            if name in snap.hashes:
                out.hashes[name] = snap.hashes[name]
    return replace(saved, _stored=out), merged


def _write_meta(conn: sqlite3.Connection, meta: dict[str, Any], keys: set[str], removed: set[str]) -> None:
    texts = _meta_texts(meta)
    for key in sorted(keys):
        if key not in texts:
            continue
        cur = conn.execute(f"UPDATE {s.META} SET value = ? WHERE key = ?", (texts[key], key))
        if cur.rowcount == 0:
            conn.execute(f"INSERT INTO {s.META} (key, value) VALUES (?, ?)", (key, texts[key]))
    for key in removed:
        conn.execute(f"DELETE FROM {s.META} WHERE key = ?", (key,))


class _RowsGoneError(Exception):
    """Rows this save replaces were removed by another save (the caller raises ConflictError)."""


def _apply(conn: sqlite3.Connection, change: _TableChange, *, strict: bool) -> np.ndarray | None:
    """Write one table change; return the fid of each row of the saved frame (None when dropped)."""
    if change.drop:
        _drop_table(conn, change.name)
        if not change.create:
            return None
    if change.create:
        _create_table(conn, change.name, change.frame)
    columns = _columns(conn, change.name)
    for col in change.add_columns:
        conn.execute(f"ALTER TABLE {_quote(change.name)} ADD COLUMN {_quote(col)} {sql_type(change.frame[col])}")
        columns[col] = sql_type(change.frame[col])
    if len(change.delete_fids):
        ids = [(int(f),) for f in change.delete_fids]
        deleted = conn.executemany(f"DELETE FROM {_quote(change.name)} WHERE fid = ?", ids).rowcount
        if strict and deleted < len(ids):  # someone else removed rows this save replaces
            raise _RowsGoneError(change.name)
    fids = change.kept_fids.copy()
    if len(change.insert_pos):
        fids[change.insert_pos] = _insert_rows(conn, change.name, change.frame.iloc[change.insert_pos], columns)
    return fids


def _next_fid(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT max(fid) FROM {_quote(table)}").fetchone()
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    return max(int(row[0] or 0), int(seq[0]) if seq else 0) + 1


def _insert_rows(conn: sqlite3.Connection, table: str, rows: pd.DataFrame, columns: dict[str, str]) -> np.ndarray:
    start = _next_fid(conn, table)
    fids = np.arange(start, start + len(rows), dtype="int64")
    names = ["fid"]
    values: list[list[Any]] = [fids.tolist()]
    for col in rows.columns:
        if is_geometry(rows[col]):
            names.append(GEOM)
            values.append([gpkg_blob(g) for g in np.asarray(rows[col].array, dtype=object)])
        elif col in columns:
            names.append(col)
            values.append(_sql_values(rows[col], columns[col]))
    sql = (f"INSERT INTO {_quote(table)} ({', '.join(_quote(n) for n in names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    conn.executemany(sql, list(zip(*values)))
    _extend_extent(conn, table, rows)
    return fids


def _extend_extent(conn: sqlite3.Connection, table: str, rows: pd.DataFrame) -> None:
    geoms = [c for c in rows.columns if is_geometry(rows[c])]
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if not geoms or len(rows) == 0:
        conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, table))
        return
    bounds = shapely.bounds(np.asarray(rows[geoms[0]].array, dtype=object))
    if np.isnan(bounds).all():
        return
    minx, miny = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    maxx, maxy = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    conn.execute("UPDATE gpkg_contents SET last_change = ?, min_x = min(coalesce(min_x, ?), ?), "
                 "min_y = min(coalesce(min_y, ?), ?), max_x = max(coalesce(max_x, ?), ?), "
                 "max_y = max(coalesce(max_y, ?), ?) WHERE table_name = ?",
                 (now, minx, minx, miny, miny, maxx, maxx, maxy, maxy, table))


def _drop_table(conn: sqlite3.Connection, table: str) -> None:
    geom = _geometry_column(conn, table)
    conn.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
    if geom is not None:
        conn.execute(f"DROP TABLE IF EXISTS {_quote(f'rtree_{table}_{geom}')}")
    for meta_table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents", "gpkg_contents"):
        conn.execute(f"DELETE FROM {meta_table} WHERE lower(table_name) = lower(?)", (table,))
    conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))


def _type_fits(declared: str, geoms: pd.Series) -> bool:
    """Whether new geometries may go into a column declared ``declared`` (POLYGON, GEOMETRY...)."""
    declared = declared.upper()
    if declared == "GEOMETRY":
        return True
    arr = np.asarray(geoms.array, dtype=object)
    arr = arr[pd.notna(arr)]
    return not len(arr) or _geometry_type(arr) == declared


def _geometry_type(geoms: np.ndarray) -> str:
    """The GeoPackage geometry type name of ``geoms``: their one type, else GEOMETRY."""
    names = {0: "POINT", 1: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT", 5: "MULTILINESTRING", 6: "MULTIPOLYGON",
             7: "GEOMETRYCOLLECTION"}
    found = {names.get(int(t), "GEOMETRY") for t in set(shapely.get_type_id(geoms[pd.notna(geoms)]).tolist())}
    return found.pop() if len(found) == 1 else "GEOMETRY"


def _create_table(conn: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    """Create ``table`` and register it as GDAL does (contents, geometry column, R-tree, counts)."""
    geoms = [c for c in frame.columns if is_geometry(frame[c])]
    q = _quote(table)
    cols = ['"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL']
    gtype = _geometry_type(np.asarray(frame[geoms[0]].array, dtype=object)) if geoms else ""
    if geoms:
        cols.append(f'"{GEOM}" {gtype}')
    cols += [f"{_quote(c)} {sql_type(frame[c])}" for c in frame.columns if c not in geoms]
    conn.execute(f"CREATE TABLE {q} ( {', '.join(cols)})")
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
                 "VALUES (?, ?, ?, '', ?, ?)", (table, "features" if geoms else "attributes", table, now,
                                                SRS_ID if geoms else 0))
    conn.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, 0)", (table,))
    conn.execute(f'CREATE TRIGGER "trigger_insert_feature_count_{table}" AFTER INSERT ON {q} BEGIN UPDATE '
                 f"gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = "
                 f"lower({_literal(table)}); END")
    conn.execute(f'CREATE TRIGGER "trigger_delete_feature_count_{table}" AFTER DELETE ON {q} BEGIN UPDATE '
                 f"gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = "
                 f"lower({_literal(table)}); END")
    if geoms:
        _create_rtree(conn, table, gtype)


def _create_rtree(conn: sqlite3.Connection, table: str, gtype: str) -> None:
    q, g = _quote(table), f'"{GEOM}"'
    rt = _quote(f"rtree_{table}_{GEOM}")
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)", (table, GEOM, gtype, SRS_ID))
    conn.execute("INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
                 "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (table, GEOM))
    conn.execute(f"CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy)")
    box = f"ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})"
    name = f"rtree_{table}_{GEOM}"
    conn.execute(f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON {q} WHEN (new.{g} NOT NULL AND NOT '
                 f"ST_IsEmpty(NEW.{g})) BEGIN INSERT OR REPLACE INTO {rt} VALUES (NEW.\"fid\", {box}); END")
    conn.execute(f'CREATE TRIGGER "{name}_update6" AFTER UPDATE OF {g} ON {q} WHEN OLD."fid" = NEW."fid" AND '
                 f"(NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g})) AND (OLD.{g} NOTNULL AND NOT ST_IsEmpty(OLD.{g})) "
                 f"BEGIN UPDATE {rt} SET minx = ST_MinX(NEW.{g}), maxx = ST_MaxX(NEW.{g}), miny = ST_MinY(NEW.{g}), "
                 f"maxy = ST_MaxY(NEW.{g}) WHERE id = NEW.\"fid\"; END")
    conn.execute(f'CREATE TRIGGER "{name}_update7" AFTER UPDATE OF {g} ON {q} WHEN OLD."fid" = NEW."fid" AND '
                 f"(NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g})) AND (OLD.{g} ISNULL OR ST_IsEmpty(OLD.{g})) "
                 f"BEGIN INSERT INTO {rt} VALUES (NEW.\"fid\", {box}); END")
    conn.execute(f'CREATE TRIGGER "{name}_update2" AFTER UPDATE OF {g} ON {q} WHEN OLD."fid" = NEW."fid" AND '
                 f"(NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g})) BEGIN DELETE FROM {rt} WHERE id = OLD.\"fid\"; END")
    conn.execute(f'CREATE TRIGGER "{name}_update5" AFTER UPDATE ON {q} WHEN OLD."fid" != NEW."fid" AND '
                 f"(NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g})) BEGIN DELETE FROM {rt} WHERE id = OLD.\"fid\"; "
                 f"INSERT OR REPLACE INTO {rt} VALUES (NEW.\"fid\", {box}); END")
    conn.execute(f'CREATE TRIGGER "{name}_update4" AFTER UPDATE ON {q} WHEN OLD."fid" != NEW."fid" AND '
                 f"(NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g})) BEGIN DELETE FROM {rt} WHERE id IN "
                 f"(OLD.\"fid\", NEW.\"fid\"); END")
    conn.execute(f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON {q} WHEN old.{g} NOT NULL BEGIN '
                 f"DELETE FROM {rt} WHERE id = OLD.\"fid\"; END")


def narrowed_snapshot(snap: Snapshot, keep: Callable[[str, pd.DataFrame], np.ndarray], *, town: str | None,
                      community: str | None, communities: Collection[str]) -> Snapshot:
    """``snap`` holding only the rows ``keep(name, frame)`` selects, for one town or community (``geo.access``).

    A project narrowed to a user's units saves like one loaded for them: rows it does not hold
    are neither deleted nor rewritten, and new rows outside ``communities`` are refused
    (``store.out_of_scope``).
    """
    rows = {n: np.asarray(keep(n, f), dtype=bool) for n, f in snap.frames.items()}
    frames = {n: f[rows[n]] for n, f in snap.frames.items()}
    fids = {n: snap.fids[n][rows[n]] for n in snap.frames}
    scope = replace(snap.scope, town=town, community=community, communities=frozenset(map(str, communities)))
    return replace(snap, scope=scope, frames=frames, fids=fids, hashes={})
