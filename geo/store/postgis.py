"""The PostGIS store: a project in a PostgreSQL/PostGIS database on an office server.

Location: ``postgresql://user:password@host:port/database?project=name`` (``project`` defaults to
``gridatlas``; every other query parameter goes to libpq, e.g. ``sslmode=require``). ``location``
is that URL without its password: safe to show and log.

Layout: one schema per project
------------------------------
A project is one PostgreSQL *schema* named after ``?project=``. One schema per project (rather
than a project-id column in shared tables) because every project brings its own attribute
columns per layer (imported files keep their fields): a table per layer per project keeps real
typed columns and per-project indexes, an office can ``GRANT`` one project's schema to one
district, and a project is dropped or backed up (``pg_dump -n``) as a unit. In the schema:

- ``ga_meta(key, value)``: the project metadata (JSON text), including the global ``revision``;
- ``ga_catalogue(name, kind, position, columns)``: each layer/table with its column types;
- ``ga_units(unit, revision, saved_at, saved_by)``: the revision at which each unit last changed;
- ``ga_changes``: the change log, one row per inserted/deleted row or changed metadata key;
- one table per layer or table with ``_id``, ``_pos`` (row order), ``_hash`` (row hash),
  ``_rev`` (revision that wrote the row), ``_unit``/``_town``/``_community`` (the row's unit,
  B-tree indexed), the project's columns (codes stay ``text``), and ``geometry
  geometry(Geometry, 4326)`` with a GiST index.

Units and optimistic concurrency
--------------------------------
Each row belongs to a unit: ``community:<code>`` when its community is known, else
``town:<code>``, else ``project`` (metadata and features outside every community); the audit log
belongs to none (it is append-only and never conflicts). A grid's community and town come from
``geo.hierarchy.grid_tree``; towns and communities are their own units; rows naming a
``grid_code`` (assignments, coverage, point grids) take that grid's unit as stored; rows with a
``community_code`` take it; other points take the community they lie in (PostGIS). A save writes
only the rows that changed since load (each frame carries a ``RowSnapshot`` of its stored rows in
``attrs``: ids, order, row hashes, units, and a private copy to spot in-place edits) and raises
``ConflictError`` (``save_conflict.units``) naming the units when another save changed a unit this
one changes; two planners who changed different communities both succeed, and the project a save
returns holds the other's rows too (``pull_others``). A project loaded for one town or community
may not add rows of other units (``store.out_of_scope``). Saves run one at a time (a row lock on
the revision) and each is one transaction: a killed save leaves the project as it was before.

Rows are rows: an edited row is a deleted row and an inserted row (``diff_rows``), each with its
unit, so moving a grid from one community to another touches both.
"""
from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import __version__
from geo import schema as s
from geo.accounts import ACCOUNT_FIELDS
from geo.audit import keep_stored, log_event, project_counts, seal_audit
from geo.errors import ConflictError, GeoInputError, ProjectFileError
from geo.hierarchy import community_towns
from geo.project import Project
from geo.store.rows import frames_equal, match_rows
from geo.store.units import grid_units
from geo.values import now_iso

DEFAULT_PROJECT = "gridatlas"
PROJECT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,54}$")
META_TABLE, CATALOGUE, UNITS, CHANGES = "ga_meta", "ga_catalogue", "ga_units", "ga_changes"
ROW_IDS = "ga_row_ids"  # one sequence for the _id of every row of every table
ACCOUNTS = "ga_accounts"  # geo.accounts: not in ga_catalogue, so never part of a loaded Project
AUDIT_GUARD = "ga_audit_append_only"  # trigger function refusing UPDATE, DELETE and TRUNCATE of the audit log
SNAPSHOT_ATTR = "gridatlas.store_rows"
UNIT_PROJECT = "project"
APPEND_ONLY = (s.AUDIT,)  # rows with no unit: never a conflict
VOLATILE_META = ("revision", "saved_at", "gridatlas_version")  # written by every save: not an edit
SYSTEM_COLUMNS = ("_id", "_pos", "_hash", "_rev", "_unit", "_town", "_community")
PG_TYPES = {"bool": "boolean", "int": "bigint", "float": "double precision", "text": "text"}


# --- the location ---------------------------------------------------------------------------

def split_location(url: str) -> tuple[str, str, str]:
    """``(conninfo, safe_location, project)`` of a ``postgresql://`` URL.

    ``conninfo`` is what libpq gets (without ``project``); ``safe_location`` is the URL without
    any password (in the user part or a ``password=`` parameter).

    Raises
    ------
    GeoInputError
        ``postgis.bad_project_name`` when ``?project=`` is not a plain lower-case identifier.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    project = next((v for k, v in query if k == "project"), DEFAULT_PROJECT) or DEFAULT_PROJECT
    if not PROJECT_NAME.match(project):
        msg = f"bad project name {project!r} in the database URL"
        raise GeoInputError(msg, code="postgis.bad_project_name", project=project)
    libpq = [(k, v) for k, v in query if k != "project"]
    conninfo = urlunsplit(parts._replace(query=urlencode(libpq)))
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = unquote(userinfo.split(":", 1)[0])
        netloc = f"{quote(user, safe='')}@{host}" if user else host
    safe_query = [(k, v) for k, v in query if k != "password"]
    safe = urlunsplit(parts._replace(netloc=netloc, query=urlencode(safe_query)))
    return conninfo, safe, project


# --- rows: storage form, hashes, diff -------------------------------------------------------

def column_kind(series: pd.Series, name: str) -> str:
    """How a column is stored: ``bool``, ``int``, ``float`` or ``text`` (codes are always text)."""
    if name in s.TEXT_COLUMNS:
        return "text"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "int"
    if pd.api.types.is_float_dtype(series.dtype):
        return "float"
    return "text"


def _text_value(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def storage_columns(df: pd.DataFrame) -> tuple[list[tuple[str, str]], dict[str, np.ndarray]]:
    """The column spec ``[(name, kind)]`` and each column's values as stored (canonical form).

    Canonical values: ``bool``/``int`` columns as nullable ``boolean``/``Int64`` arrays,
    ``float`` as float64 (NaN = missing), ``text`` as str or None; the geometry as WKB bytes (or
    None). A frame read back from the store has the same canonical form, hence the same hashes.
    """
    geom_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in df else None
    spec: list[tuple[str, str]] = []
    values: dict[str, np.ndarray] = {}
    for name in df.columns:
        if name == geom_name:
            geoms = np.asarray(df.geometry.to_numpy(), dtype=object)
            spec.append(("geometry", "geometry"))
            values["geometry"] = np.asarray(shapely.to_wkb(geoms, output_dimension=2), dtype=object)
            continue
        col = df[name]
        kind = column_kind(col, str(name))
        spec.append((str(name), kind))
        if kind == "float":
            values[str(name)] = col.to_numpy(dtype="float64", na_value=np.nan)
        elif kind == "int":
            values[str(name)] = col.astype("Int64").array
        elif kind == "bool":
            values[str(name)] = col.astype("boolean").array
        elif pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
            values[str(name)] = col.to_numpy(dtype=object, na_value=None)
        else:
            values[str(name)] = np.array([_text_value(v) for v in col.to_numpy(dtype=object)], dtype=object)
    return spec, values


def hash_rows(spec: list[tuple[str, str]], values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """One 64-bit hash per row over every column (names and kinds included), as int64."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame({f"c{i}": values[name] for i, (name, _) in enumerate(spec)}, index=pd.RangeIndex(n))
    salt = np.uint64(int(pd.util.hash_array(np.array([json.dumps(spec)], dtype=object))[0]))
    if len(spec) == 0:
        return np.full(n, salt.view(np.int64) if hasattr(salt, "view") else int(salt), dtype=np.int64)
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64) ^ salt
    return hashes.view(np.int64)


def row_hashes(df: pd.DataFrame) -> np.ndarray:
    """The row hash of every row of ``df`` (int64), as ``diff_rows`` compares them."""
    spec, values = storage_columns(df)
    return hash_rows(spec, values, len(df))


@dataclass(frozen=True)
class RowDiff:
    """How ``after`` differs from ``before`` (both arrays of row hashes).

    ``kept[i]`` is the position in ``before`` of the unchanged row ``after[i]`` (-1 when the row
    is new); ``deleted`` lists the positions in ``before`` no row of ``after`` matches. An edited
    row is one deleted and one new row. Duplicate rows are matched one to one, in order.
    """

    kept: np.ndarray
    deleted: np.ndarray

    @property
    def inserted(self) -> np.ndarray:
        """Positions in ``after`` of new rows."""
        return np.flatnonzero(self.kept < 0)

    @property
    def is_empty(self) -> bool:
        """Whether nothing changed."""
        return len(self.deleted) == 0 and bool((self.kept >= 0).all())


def diff_rows(*, before: np.ndarray, after: np.ndarray) -> RowDiff:
    """Match the rows of ``after`` to those of ``before`` by row hash (``geo.store.rows.match_rows``)."""
    kept, deleted = match_rows(np.asarray(before, dtype=np.int64), np.asarray(after, dtype=np.int64))
    return RowDiff(kept=np.asarray(kept, dtype=np.int64), deleted=np.asarray(deleted, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class RowSnapshot:
    """What one frame held when it was loaded (or saved): the stored rows it shows, in its order.

    Kept in the frame's ``attrs`` so it follows the frame through copies and edits; never copied
    (``__deepcopy__`` returns it) since it is immutable.
    """

    store: str
    table: str
    ids: np.ndarray
    pos: np.ndarray
    hashes: np.ndarray
    units: np.ndarray
    scope: tuple[str | None, str | None]
    base: int = 0  # the revision the frame's rows are consistent with (others' later saves not seen)
    own: frozenset[int] = frozenset()  # revisions after ``base`` written by this project's own saves
    copy: pd.DataFrame | None = field(default=None, repr=False)  # the frame as read or written (own arrays)

    def __deepcopy__(self, memo: dict) -> RowSnapshot:
        return self

    def __copy__(self) -> RowSnapshot:
        return self

    def is_unchanged(self, df: pd.DataFrame) -> bool:
        """Whether ``df`` still holds exactly the rows it was read or written with (in-place edits count)."""
        return self.copy is not None and frames_equal(df, self.copy)


def _attach(df: pd.DataFrame, snap: RowSnapshot, *, copy: bool = True) -> pd.DataFrame:
    """``df`` carrying ``snap`` (with a private copy of ``df`` to spot later in-place edits)."""
    if copy:
        private = df.copy(deep=True)
        private.attrs = {}
        snap = replace(snap, copy=private)
    df.attrs[SNAPSHOT_ATTR] = snap
    return df


def _snapshot_of(df: pd.DataFrame, store: str, table: str) -> RowSnapshot | None:
    snap = df.attrs.get(SNAPSHOT_ATTR)
    if isinstance(snap, RowSnapshot) and snap.store == store and snap.table == table:
        return snap
    return None


def unit_key(*, community: Any, town: Any) -> str:
    """The unit a row belongs to: its community, else its town, else the project."""
    if community is not None and community == community:
        return f"community:{community}"
    if town is not None and town == town:
        return f"town:{town}"
    return UNIT_PROJECT


def unit_code(unit: str) -> str:
    """The code a planner knows a unit by (``community:510184001001`` → ``510184001001``; ``*`` for the project)."""
    kind, _, code = unit.partition(":")
    return code if code else "*"


# --- the store ------------------------------------------------------------------------------

class PostGISStore:
    """A project in one schema of a PostGIS database (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self._conninfo, self.location, self.project_name = split_location(url)

    def __repr__(self) -> str:
        return f"PostGISStore({self.location!r})"

    # connection and schema ------------------------------------------------------------------
    def _connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self._conninfo, connect_timeout=15)
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f"cannot connect to {self.location}: {detail}"
            raise GeoInputError(msg, code="postgis.connect_failed", location=self.location, detail=detail) from exc
        return conn

    def _q(self, name: str) -> Any:
        from psycopg import sql

        return sql.Identifier(self.project_name, name)

    def _sql(self, template: str, **names: str) -> Any:
        from psycopg import sql

        return sql.SQL(template).format(**{k: self._q(v) for k, v in names.items()})

    def _schema_exists(self, conn: Any) -> bool:
        row = conn.execute("SELECT to_regclass(%s)", (f'"{self.project_name}".{META_TABLE}',)).fetchone()
        return row is not None and row[0] is not None

    def _create_schema(self, conn: Any) -> None:
        from psycopg import sql

        has_postgis = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
        if not has_postgis:
            msg = f"{self.location} has no postgis extension"
            raise GeoInputError(msg, code="postgis.no_postgis", location=self.location)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.project_name)))
        conn.execute(self._sql("CREATE TABLE {m} (key text PRIMARY KEY, value text NOT NULL)", m=META_TABLE))
        conn.execute(self._sql("CREATE TABLE {c} (name text PRIMARY KEY, kind text NOT NULL, position int NOT NULL,"
                               " columns jsonb NOT NULL)", c=CATALOGUE))
        conn.execute(self._sql("CREATE TABLE {u} (unit text PRIMARY KEY, revision bigint NOT NULL,"
                               " saved_at text, saved_by text)", u=UNITS))
        conn.execute(self._sql(
            "CREATE TABLE {ch} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, revision bigint NOT NULL,"
            " time text NOT NULL, saved_by text, tbl text NOT NULL, op text NOT NULL, unit text, row_id bigint,"
            " row_hash bigint, detail text)", ch=CHANGES))
        conn.execute(self._sql("CREATE INDEX ON {ch} (revision)", ch=CHANGES))
        conn.execute(self._sql("CREATE SEQUENCE {r}", r=ROW_IDS))
        conn.execute(self._sql("INSERT INTO {m} VALUES ('revision', '0')", m=META_TABLE))

    # cheap reads --------------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether a GridAtlas project is stored in this schema."""
        with self._connect() as conn:
            return self._schema_exists(conn)

    def revision(self) -> int:
        """The stored project's revision (0 when there is none)."""
        with self._connect() as conn:
            if not self._schema_exists(conn):
                return 0
            return self._revision(conn)

    def _revision(self, conn: Any, *, lock: bool = False) -> int:
        suffix = " FOR UPDATE" if lock else ""
        row = conn.execute(self._sql("SELECT value FROM {m} WHERE key = 'revision'" + suffix, m=META_TABLE)).fetchone()
        return int(json.loads(row[0])) if row else 0

    def _catalogue(self, conn: Any) -> dict[str, dict[str, Any]]:
        rows = conn.execute(self._sql("SELECT name, kind, position, columns FROM {c} ORDER BY position",
                                      c=CATALOGUE)).fetchall()
        return {r[0]: {"kind": r[1], "position": r[2], "columns": [tuple(c) for c in r[3]]} for r in rows}

    def _require(self, conn: Any) -> None:
        if not self._schema_exists(conn):
            msg = f"{self.location} holds no project {self.project_name}"
            raise ProjectFileError(msg, code="postgis.not_found", location=self.location, project=self.project_name,
                                   file=self.location)

    # loading ---------------------------------------------------------------------------------
    def load(self, *, layers: Collection[str] | None = None, town: str | None = None,
             community: str | None = None) -> Project:
        """The project, or only ``layers`` and the rows of one ``town`` / ``community``."""
        with self._connect() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._require(conn)
            meta_rows = conn.execute(self._sql("SELECT key, value FROM {m}", m=META_TABLE)).fetchall()
            meta = {k: json.loads(v) for k, v in meta_rows}
            project = Project(meta=meta)
            for name, entry in self._catalogue(conn).items():
                if layers is not None and name not in layers:
                    continue
                frame = self._read(conn, name, entry, town=town, community=community, snapshot=project.revision)
                if entry["kind"] == "layer":
                    project.layers[name] = frame
                else:
                    project.tables[name] = frame
        return project

    def read_layer(self, name: str, *, town: str | None = None, community: str | None = None,
                   bbox: tuple[float, float, float, float] | None = None,
                   columns: Collection[str] | None = None) -> gpd.GeoDataFrame:
        """One layer (or table), filtered by unit, bounding box (WGS 84, GiST index) and columns."""
        with self._connect() as conn:
            self._require(conn)
            entry = self._catalogue(conn).get(name)
            if entry is None:
                return Project().layer(name) if name in s.SPATIAL_LAYERS else pd.DataFrame()
            return self._read(conn, name, entry, town=town, community=community, bbox=bbox, columns=columns,
                              snapshot=None)

    def _read(self, conn: Any, name: str, entry: dict[str, Any], *, town: str | None, community: str | None,
              bbox: tuple[float, float, float, float] | None = None, columns: Collection[str] | None = None,
              snapshot: int | None, ids: list[int] | None = None) -> pd.DataFrame:
        """Rows of one table in stored order; with ``snapshot`` (the revision read) a row snapshot attached."""
        frame, arrays = self._fetch(conn, name, entry, town=town, community=community, bbox=bbox, columns=columns,
                                    ids=ids)
        if snapshot is not None:
            _attach(frame, RowSnapshot(store=self._store_id, table=name, ids=arrays[0], pos=arrays[1],
                                       hashes=arrays[2], units=arrays[3], scope=(town, community), base=snapshot))
        return frame

    def _fetch(self, conn: Any, name: str, entry: dict[str, Any], *, town: str | None, community: str | None,
               bbox: tuple[float, float, float, float] | None = None, columns: Collection[str] | None = None,
               ids: list[int] | None = None) -> tuple[pd.DataFrame, tuple[np.ndarray, ...]]:
        """The rows (filtered) and their ``(_id, _pos, _hash, _unit)`` arrays."""
        from psycopg import sql

        spec = [c for c in entry["columns"] if c[1] != "geometry"]
        if columns is not None:
            spec = [c for c in spec if c[0] in columns]
        has_geom = any(c[1] == "geometry" for c in entry["columns"])
        select = [sql.Identifier(c) for c in ("_id", "_pos", "_hash", "_unit")] + [sql.Identifier(c) for c, _ in spec]
        if has_geom:
            select.append(sql.SQL("ST_AsBinary(geometry)"))
        where, params = self._scope_filter(name, town=town, community=community, spatial=has_geom)
        if bbox is not None and has_geom:
            where.append(sql.SQL("geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"))
            params += [float(v) for v in bbox]
        if ids is not None:
            where.append(sql.SQL("_id = ANY(%s)"))
            params.append(list(ids))
        query = sql.SQL("SELECT {cols} FROM {t}{where} ORDER BY _pos, _id").format(
            cols=sql.SQL(", ").join(select), t=self._q(name),
            where=sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""))
        with conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        data = list(zip(*rows)) if rows else [[] for _ in range(len(select))]
        frame = _frame_from_columns(spec, data[4:4 + len(spec)])
        if has_geom:
            geoms = shapely.from_wkb(np.array(data[-1], dtype=object)) if rows else np.array([], dtype=object)
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=s.STORAGE_CRS),
                                     crs=s.STORAGE_CRS)
            order = [c for c, _ in entry["columns"] if c in frame.columns]
            frame = frame[order] if list(frame.columns) != order else frame
        return frame, (np.array(data[0], dtype=np.int64), np.array(data[1], dtype=np.float64),
                       np.array(data[2], dtype=np.int64), np.array(data[3], dtype=object))

    @property
    def _store_id(self) -> str:
        return f"{self.location}#{self.project_name}"

    def _scope_filter(self, name: str, *, town: str | None, community: str | None,
                      spatial: bool = False) -> tuple[list[Any], list[Any]]:
        """SQL conditions for the rows of one town or community.

        Rows of no unit (the audit log) and non-spatial rows of the project unit (scenarios) are in
        every scope; features outside every community are in none.
        """
        from psycopg import sql

        shared = (sql.SQL("_unit IS NULL") if spatial
                  else sql.SQL("_unit IS NULL OR _unit = {}").format(sql.Literal(UNIT_PROJECT)))
        if community is not None and name == s.TOWNS:
            cond = sql.SQL("_town = (SELECT _town FROM {c} WHERE code = %s LIMIT 1)").format(c=self._q(s.COMMUNITIES))
            return [cond], [str(community)]
        if community is not None:
            return [sql.SQL("(_community = %s OR {})").format(shared)], [str(community)]
        if town is not None:
            return [sql.SQL("(_town = %s OR {})").format(shared)], [str(town)]
        return [], []

    # saving ----------------------------------------------------------------------------------
    def save(self, project: Project, *, expected_revision: int | None = None, user: str = "") -> Project:
        """Write what changed since ``project`` was loaded, in one transaction; return it as saved.

        Raises
        ------
        ConflictError
            ``postgis.unit_conflict`` naming the first unit this save changes that another save
            changed after ``expected_revision`` (default: the revision ``project`` was loaded at).
        """
        snaps = _snapshots(project, self._store_id)
        if snaps:  # loaded from here: the revision its rows are consistent with, and its own saves since
            base_rev, own = min(sn.base for sn in snaps), frozenset().union(*(sn.own for sn in snaps))
        else:
            base_rev, own = (project.revision if expected_revision is None else int(expected_revision)), frozenset()
        with self._connect() as conn, conn.transaction():
            if not self._schema_exists(conn):
                self._create_schema(conn)
            current = self._revision(conn, lock=True)  # saves of this project run one at a time
            new_rev = max(current, project.revision) + 1
            now = now_iso()
            saved = log_event(project, action="save", user=user, obj=self.location, now=now,
                              counts={"revision": new_rev, **project_counts(project)})
            saved = saved.with_meta(revision=new_rev, saved_at=now, gridatlas_version=__version__)
            if not snaps:  # not loaded from here: the stored audit log stays (append-only)
                saved = self._keep_audit(conn, saved)
            saved = self._seal(conn, saved)
            writer = _Writer(self, conn, saved, base_rev=base_rev, own=own, new_rev=new_rev, user=user, now=now)
            frames = writer.write_frames()
            meta = writer.write_meta()
            writer.check_and_stamp_units()
            self._guard_audit(conn)
            frames = writer.pull_others(frames)  # the returned project holds the others' saves too
        return Project(layers={k: v for k, v in frames.items() if k in saved.layers},
                       tables={k: v for k, v in frames.items() if k in saved.tables}, meta=meta)

    def _seal(self, conn: Any, project: Project) -> Project:
        """``project`` with its new audit rows linked after the last stored row (``geo.audit.seal_audit``)."""
        table = project.tables.get(s.AUDIT)
        if table is None or "row_hash" not in table.columns:
            return project
        entry = self._catalogue(conn).get(s.AUDIT)
        stored: list[str] = []
        if entry is not None and any(c[0] == "row_hash" for c in entry["columns"]):
            stored = [r[0] for r in conn.execute(self._sql(
                "SELECT row_hash FROM {t} WHERE coalesce(row_hash, '') != '' ORDER BY _pos, _id", t=s.AUDIT))]
        sealed = seal_audit(table, head=stored[-1] if stored else "", stored=stored)
        if sealed is table:
            return project
        return replace(project, tables={**project.tables, s.AUDIT: sealed})

    def _keep_audit(self, conn: Any, project: Project) -> Project:
        entry = self._catalogue(conn).get(s.AUDIT)
        if entry is None:
            return project
        stored = self._read(conn, s.AUDIT, entry, town=None, community=None, snapshot=None)
        audit = keep_stored(stored, project.table(s.AUDIT))
        return replace(project, tables={**project.tables, s.AUDIT: audit})

    def _guard_audit(self, conn: Any) -> None:
        """A trigger refusing UPDATE, DELETE and TRUNCATE of the audit log (the table's owner can drop it: README)."""
        from psycopg import sql

        if s.AUDIT not in self._catalogue(conn):
            return
        fn = self._q(AUDIT_GUARD)
        conn.execute(sql.SQL("CREATE OR REPLACE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                             "RAISE EXCEPTION 'gridatlas: the audit log is append-only'; END $$").format(f=fn))
        for name, when in ((AUDIT_GUARD, "BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW"),
                           (f"{AUDIT_GUARD}_truncate", "BEFORE TRUNCATE ON {t} FOR EACH STATEMENT")):
            conn.execute(sql.SQL("CREATE OR REPLACE TRIGGER {n} " + when + " EXECUTE FUNCTION {f}()").format(
                n=sql.Identifier(name), t=self._q(s.AUDIT), f=fn))

    # accounts ------------------------------------------------------------------------------------
    def read_accounts(self) -> list[dict[str, Any]]:
        """The rows of the private accounts table (``geo.accounts``), none when it has none."""
        with self._connect() as conn:
            self._require(conn)
            found = conn.execute("SELECT to_regclass(%s)", (f'"{self.project_name}".{ACCOUNTS}',)).fetchone()
            if not found or found[0] is None:
                return []
            cols = ", ".join(f'"{k}"' for k in ACCOUNT_FIELDS)
            rows = conn.execute(self._sql(f"SELECT {cols} FROM {{a}} ORDER BY name", a=ACCOUNTS)).fetchall()
        return [dict(zip(ACCOUNT_FIELDS, r)) for r in rows]

    def write_account(self, row: dict[str, Any]) -> None:
        """Insert or replace one account row (by name) in the private accounts table."""
        with self._connect() as conn, conn.transaction():
            self._require(conn)
            conn.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {a} (name text PRIMARY KEY, role text NOT NULL, level text, code text,"
                " password_hash text NOT NULL, disabled int NOT NULL DEFAULT 0, failed int NOT NULL DEFAULT 0,"
                " locked_until text, created_at text, updated_at text, last_login text)", a=ACCOUNTS))
            cols = ", ".join(f'"{k}"' for k in ACCOUNT_FIELDS)
            updates = ", ".join(f'"{k}" = EXCLUDED."{k}"' for k in ACCOUNT_FIELDS if k != "name")
            conn.execute(self._sql(f"INSERT INTO {{a}} ({cols}) VALUES ({', '.join(['%s'] * len(ACCOUNT_FIELDS))})"
                                   f" ON CONFLICT (name) DO UPDATE SET {updates}", a=ACCOUNTS),
                         [row.get(k) for k in ACCOUNT_FIELDS])

    def drop(self) -> None:
        """Delete this project (its whole schema). For ``store copy --force``."""
        from psycopg import sql

        with self._connect() as conn, conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.project_name)))


def _frame_from_columns(spec: list[tuple[str, str]], data: list[Iterable[Any]]) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    for (name, kind), values in zip(spec, data):
        values = list(values)
        if kind == "float":
            cols[name] = pd.Series(np.array([np.nan if v is None else v for v in values], dtype="float64"))
        elif kind == "int":
            cols[name] = pd.Series(values, dtype="int64" if None not in values else "Int64")
        elif kind == "bool":
            cols[name] = pd.Series(values, dtype="bool" if None not in values else "boolean")
        elif name in s.TEXT_COLUMNS:
            cols[name] = pd.Series(values, dtype=object)
        else:
            cols[name] = pd.Series(values, dtype="str" if values and None not in values else object)
    n = len(next(iter(data), [])) if data else 0
    return pd.DataFrame(cols, index=pd.RangeIndex(len(cols[spec[0][0]]) if spec else n))


class _Writer:
    """One save: diff each frame, write deleted and new rows, log them, check and stamp units."""

    def __init__(self, store: PostGISStore, conn: Any, project: Project, *, base_rev: int, own: frozenset[int],
                 new_rev: int, user: str, now: str) -> None:
        self.store, self.conn, self.project = store, conn, project
        self.base_rev, self.own, self.new_rev, self.user, self.now = base_rev, own, new_rev, user, now
        self.base_out, self.own_out = new_rev, frozenset()
        self.new_units: dict[str, set[str]] = {}
        self.catalogue = store._catalogue(conn)
        self.touched: set[str] = set()
        self.log: list[tuple[Any, ...]] = []
        self.scope = _project_scope(project, store._store_id)

    def q(self, name: str) -> Any:
        return self.store._q(name)

    # frames ---------------------------------------------------------------------------------
    def write_frames(self) -> dict[str, pd.DataFrame]:
        order = [*[n for n in s.SPATIAL_LAYERS if n in self.project.layers],
                 *[n for n in self.project.layers if n not in s.SPATIAL_LAYERS], *self.project.tables]
        out: dict[str, pd.DataFrame] = {}
        for position, name in enumerate(order):
            kind = "layer" if name in self.project.layers else "table"
            df = self.project.layers[name] if kind == "layer" else self.project.tables[name]
            out[name] = self.write_frame(name, df, kind=kind, position=position)
        return out

    def write_frame(self, name: str, df: pd.DataFrame, *, kind: str, position: int) -> pd.DataFrame:
        """Write the rows of ``df`` that differ from what it was loaded as; ``df`` with a fresh snapshot."""
        snap = _snapshot_of(df, self.store._store_id, name)
        if snap is not None and name in self.catalogue and snap.is_unchanged(df):
            return _attach(df.copy(deep=False), replace(snap, base=self.base_out, own=self.own_out), copy=False)
        if isinstance(df, gpd.GeoDataFrame) and df.crs is not None and df.crs != s.STORAGE_CRS:
            df = df.to_crs(s.STORAGE_CRS)
        spec, values = storage_columns(df)
        hashes = hash_rows(spec, values, len(df))
        entry = self.catalogue.get(name)
        if entry is None or [tuple(c) for c in entry["columns"]] != spec or entry["kind"] != kind:
            base = self._replace_table(name, spec, kind=kind, position=position, existed=entry is not None)
        elif snap is not None:
            base = (snap.ids, snap.pos, snap.hashes, snap.units)
        else:
            base = self._stored_base(name)
        ids, pos, _, units = base
        diff = diff_rows(before=base[2], after=hashes)
        final_pos = _interpolated(diff.kept, pos)
        if name in APPEND_ONLY:
            final_pos = self._append_positions(name, diff, final_pos)
        renumber = len(final_pos) > 1 and not bool(np.all(np.diff(final_pos) > 0))
        if renumber:  # kept rows were reordered: number every row afresh
            final_pos = np.arange(len(hashes), dtype=np.float64)
        final_ids = np.zeros(len(hashes), dtype=np.int64)
        final_units = np.empty(len(hashes), dtype=object)
        keep = diff.kept >= 0
        final_ids[keep] = ids[diff.kept[keep]]
        final_units[keep] = units[diff.kept[keep]]
        self._delete(name, diff.deleted, base)
        if renumber:
            with self.conn.cursor() as cur:
                cur.executemany(sql_of(self, "UPDATE {t} SET _pos = %s WHERE _id = %s", name),
                                [(float(final_pos[i]), int(final_ids[i])) for i in np.flatnonzero(keep)])
        new = diff.inserted
        if len(new):
            final_ids[new], final_units[new] = self._insert(name, df, spec, values, hashes, new, final_pos[new])
        return _attach(df.copy(deep=False), RowSnapshot(
            store=self.store._store_id, table=name, ids=final_ids, pos=final_pos, hashes=hashes, units=final_units,
            scope=self.scope, base=self.base_out, own=self.own_out))

    def _append_positions(self, name: str, diff: RowDiff, final_pos: np.ndarray) -> np.ndarray:
        """Refuse removed rows of an append-only table; put its new rows after every stored row.

        Another session may have appended since this project was loaded: its rows stay before ours,
        in the order ``geo.audit.seal_audit`` linked the chain.
        """
        if len(diff.deleted):
            msg = f"{self.store.location}: a save may only append to {name}"
            raise GeoInputError(msg, code="audit.append_only", table=name, rows=len(diff.deleted))
        new = diff.inserted
        if not len(new):
            return final_pos
        top = self.conn.execute(sql_of(self, "SELECT max(_pos) FROM {t}", name)).fetchone()[0]
        kept = final_pos[diff.kept >= 0]
        start = max([float(top) if top is not None else -1.0, *(kept.tolist()[-1:])]) + 1
        out = final_pos.copy()
        out[new] = start + np.arange(len(new), dtype=np.float64)
        return out

    def _delete(self, name: str, rows: np.ndarray, base: tuple) -> None:
        if not len(rows):
            return
        ids, _, hashes, units = base
        gone = ids[rows]
        self.conn.execute(sql_of(self, "DELETE FROM {t} WHERE _id = ANY(%s)", name), (gone.tolist(),))
        self._log_rows(name, "d", gone, hashes[rows], units[rows])
        self.touched.update(u for u in units[rows] if u is not None)

    def _insert(self, name: str, df: pd.DataFrame, spec: list[tuple[str, str]], values: Mapping[str, np.ndarray],
                hashes: np.ndarray, new: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Insert the rows at positions ``new`` of the frame; their ids and units."""
        seq = f'"{self.store.project_name}".{ROW_IDS}'
        last = self.conn.execute("SELECT setval(%s::regclass, nextval(%s::regclass) + %s - 1)",
                                 (seq, seq, len(new))).fetchone()[0]
        new_ids = np.arange(last - len(new) + 1, last + 1, dtype=np.int64)
        town, comm = self._row_units(name, values, new)
        self._copy_rows(name, spec, values, new, new_ids, pos, hashes[new], town, comm)
        if town is None:  # points: the community they lie in, found by the database
            town, comm = self._locate_points(name, new_ids)
        if name in APPEND_ONLY:
            new_units = np.full(len(new), None, dtype=object)
        else:
            new_units = np.array([unit_key(community=c, town=t) for t, c in zip(town, comm)], dtype=object)
            self.conn.execute(sql_of(self, "UPDATE {t} AS r SET _unit = v.unit FROM unnest(%s::bigint[], %s::text[])"
                                           " AS v(id, unit) WHERE r._id = v.id", name),
                              (new_ids.tolist(), new_units.tolist()))
        self._log_rows(name, "i", new_ids, hashes[new], new_units)
        self.touched.update(u for u in new_units if u is not None)
        self.new_units.setdefault(name, set()).update(u for u in new_units if u is not None)
        return new_ids, new_units

    def _replace_table(self, name: str, spec: list[tuple[str, str]], *, kind: str, position: int,
                       existed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(Re)create the table for a new column spec; the old rows come back as the diff's base."""
        from psycopg import sql

        base = self._stored_base(name) if existed else _empty_base()
        if existed:  # every stored row counts as deleted: the rows change shape
            self.conn.execute(sql.SQL("ALTER TABLE {t} RENAME TO {old}").format(
                t=self.q(name), old=sql.Identifier(f"_old_{name}")))
        cols = [sql.SQL("_id bigint PRIMARY KEY, _pos double precision NOT NULL, _hash bigint NOT NULL,"
                        " _rev bigint NOT NULL, _unit text, _town text, _community text")]
        for col, ckind in spec:
            pg = "geometry(Geometry, 4326)" if ckind == "geometry" else PG_TYPES[ckind]
            cols.append(sql.SQL("{} " + pg).format(sql.Identifier(col)))
        self.conn.execute(sql.SQL("CREATE TABLE {t} ({cols})").format(t=self.q(name), cols=sql.SQL(", ").join(cols)))
        if existed:
            self.conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(self.store.project_name, f"_old_{name}")))
            self._log_rows(name, "d", base[0], base[2], base[3])
            self.touched.update(u for u in base[3] if u is not None)
            base = _empty_base()
        for col in ("_town", "_community", "_unit"):
            self.conn.execute(sql.SQL("CREATE INDEX ON {t} ({c})").format(t=self.q(name), c=sql.Identifier(col)))
        for col, ckind in spec:
            if ckind == "geometry":
                self.conn.execute(sql.SQL("CREATE INDEX ON {t} USING gist (geometry)").format(t=self.q(name)))
            elif col in (s.CODE, s.GRID_CODE):
                self.conn.execute(sql.SQL("CREATE INDEX ON {t} ({c})").format(t=self.q(name), c=sql.Identifier(col)))
        self.conn.execute(self.store._sql(
            "INSERT INTO {c} (name, kind, position, columns) VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE"
            " SET kind = EXCLUDED.kind, position = EXCLUDED.position, columns = EXCLUDED.columns", c=CATALOGUE),
            (name, kind, position, json.dumps(spec)))
        self.catalogue[name] = {"kind": kind, "position": position, "columns": spec}
        return base

    def _stored_base(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the table as of the base revision (rows written later by others are not ours to delete)."""
        from psycopg import sql

        town, community = self.scope
        spatial = any(k == "geometry" for _, k in self.catalogue[name]["columns"])
        where, params = self.store._scope_filter(name, town=town, community=community, spatial=spatial)
        where = [*where, sql.SQL("_rev <= %s")]
        rows = self.conn.execute(sql.SQL("SELECT _id, _pos, _hash, _unit FROM {t} WHERE {w} ORDER BY _pos, _id").format(
            t=self.q(name), w=sql.SQL(" AND ").join(where)), [*params, self.base_rev]).fetchall()
        if not rows:
            return _empty_base()
        ids, pos, hashes, units = zip(*rows)
        return (np.array(ids, dtype=np.int64), np.array(pos, dtype=np.float64), np.array(hashes, dtype=np.int64),
                np.array(units, dtype=object))

    def _copy_rows(self, name: str, spec: list[tuple[str, str]], values: Mapping[str, np.ndarray], rows: np.ndarray,
                   ids: np.ndarray, pos: np.ndarray, hashes: np.ndarray, town: np.ndarray | None,
                   comm: np.ndarray | None) -> None:
        from psycopg import sql

        names = ["_id", "_pos", "_hash", "_rev", "_town", "_community", *[c for c, _ in spec]]
        cols = [_python_values(values[c][rows]) for c, _ in spec]
        geom_i = next((i for i, (_, k) in enumerate(spec) if k == "geometry"), None)
        if geom_i is not None:
            wkb = cols[geom_i]
            cols[geom_i] = np.array([None if w is None else "\\x" + w.hex() for w in wkb], dtype=object)
        n = len(rows)
        town = town if town is not None else np.full(n, None, dtype=object)
        comm = comm if comm is not None else np.full(n, None, dtype=object)
        stmt = sql.SQL("COPY {t} ({cols}) FROM STDIN").format(
            t=self.q(name), cols=sql.SQL(", ").join(sql.Identifier(c) for c in names))
        float_cols = [i for i, (_, k) in enumerate(spec) if k == "float"]
        with self.conn.cursor() as cur, cur.copy(stmt) as copy:
            for k in range(n):
                row = [int(ids[k]), float(pos[k]), int(hashes[k]), self.new_rev, town[k], comm[k]]
                vals = [c[k] for c in cols]
                for i in float_cols:
                    if vals[i] != vals[i]:
                        vals[i] = None
                    else:
                        vals[i] = float(vals[i])
                if geom_i is not None and vals[geom_i] is not None:
                    vals[geom_i] = "SRID=4326;" + vals[geom_i][2:]
                copy.write_row(row + vals)

    # units -------------------------------------------------------------------------------------
    def _tree_of(self, codes: np.ndarray) -> pd.DataFrame:
        """``geo.hierarchy.grid_tree`` of the grids ``codes`` and their ancestors (not the whole city)."""
        return grid_units(self.project.layer(s.GRIDS), self.project.layer(s.COMMUNITIES),
                          codes=[c for c in codes if c is not None])

    def _row_units(self, name: str, values: Mapping[str, np.ndarray], positions: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Town and community codes of new rows (None, None: points, located by the database)."""
        none = np.full(len(positions), None, dtype=object)
        if name in APPEND_ONLY:
            return none, none
        if name == s.TOWNS and s.CODE in values:
            return values[s.CODE][positions], none
        if name == s.COMMUNITIES and s.CODE in values:
            towns_of = community_towns(self.project)
            codes = values[s.CODE][positions]
            return np.array([_clean(towns_of.get(c)) for c in codes], dtype=object), codes
        if name == s.GRIDS and s.CODE in values:
            codes = values[s.CODE][positions]
            tree = self._tree_of(codes)
            town = tree[s.TOWN_CODE].reindex(codes).map(_clean).to_numpy(dtype=object)
            comm = tree[s.COMMUNITY_CODE].reindex(codes).map(_clean).to_numpy(dtype=object)
            return town, comm
        if s.GRID_CODE in values:
            return self._grid_units(values[s.GRID_CODE][positions])
        if s.COMMUNITY_CODE in values:
            comm = values[s.COMMUNITY_CODE][positions]
            towns_of = community_towns(self.project)
            town = np.array([_clean(towns_of.get(c)) if c is not None else None for c in comm], dtype=object)
            if s.TOWN_CODE in values:
                given = values[s.TOWN_CODE][positions]
                town = np.where(pd.isna(town), given, town)
            return town, comm
        if s.TOWN_CODE in values:
            return values[s.TOWN_CODE][positions], none
        if "geometry" in values:
            return None, None
        return none, none

    def _grid_units(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored town and community of each grid code (the grids layer's rows written by this save)."""
        lookup: dict[str, tuple[Any, Any]] = {}
        if s.GRIDS in self.catalogue:
            wanted = sorted({c for c in codes if c is not None})
            rows = self.conn.execute(self.store._sql("SELECT code, _town, _community FROM {g} WHERE code = ANY(%s)",
                                                     g=s.GRIDS), (wanted,)).fetchall()
            lookup = {r[0]: (r[1], r[2]) for r in rows}
        town = np.array([lookup.get(c, (None, None))[0] for c in codes], dtype=object)
        comm = np.array([lookup.get(c, (None, None))[1] for c in codes], dtype=object)
        return town, comm

    def _locate_points(self, name: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Give new point rows the community (and town) they lie in; return both per row."""
        from psycopg import sql

        if s.COMMUNITIES not in self.catalogue or "geometry" not in dict(self.catalogue[s.COMMUNITIES]["columns"]):
            n = len(ids)
            return np.full(n, None, dtype=object), np.full(n, None, dtype=object)
        self.conn.execute(sql.SQL(
            "UPDATE {t} AS r SET _community = c.code, _town = c._town FROM {c} AS c"
            " WHERE r._id = ANY(%s) AND r.geometry && c.geometry AND ST_Intersects(r.geometry, c.geometry)").format(
            t=self.q(name), c=self.q(s.COMMUNITIES)), (ids.tolist(),))
        rows = self.conn.execute(sql.SQL("SELECT _id, _town, _community FROM {t} WHERE _id = ANY(%s)").format(
            t=self.q(name)), (ids.tolist(),)).fetchall()
        found = {r[0]: (r[1], r[2]) for r in rows}
        return (np.array([found.get(int(i), (None, None))[0] for i in ids], dtype=object),
                np.array([found.get(int(i), (None, None))[1] for i in ids], dtype=object))

    def _log_rows(self, name: str, op: str, ids: np.ndarray, hashes: np.ndarray, units: np.ndarray) -> None:
        self.log.extend((self.new_rev, self.now, self.user, name, op, u, int(i), int(h), None)
                        for i, h, u in zip(ids, hashes, units))

    def pull_others(self, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Add the rows others saved since the base revision (in scope) and drop the rows they deleted."""
        rows = self.conn.execute(self.store._sql(
            "SELECT tbl, op, row_id FROM {ch} WHERE revision > %s AND revision < %s AND row_id IS NOT NULL"
            " AND NOT (revision = ANY(%s))", ch=CHANGES), (self.base_rev, self.new_rev, sorted(self.own))).fetchall()
        if not rows:
            return frames
        by_table: dict[str, tuple[set[int], set[int]]] = {}
        for tbl, op, row_id in rows:
            by_table.setdefault(tbl, (set(), set()))[0 if op == "i" else 1].add(int(row_id))
        out = dict(frames)
        town, community = self.scope
        for name, (inserted, deleted) in by_table.items():
            if name not in out or name not in self.catalogue:
                continue
            frame = out[name]
            snap = frame.attrs[SNAPSHOT_ATTR]
            keep = ~np.isin(snap.ids, list(deleted))
            theirs, arrays = self.store._fetch(self.conn, name, self.catalogue[name], town=town, community=community,
                                               ids=sorted(inserted - deleted))
            theirs = theirs[~np.isin(arrays[0], snap.ids)] if len(theirs) else theirs
            arrays = tuple(a[~np.isin(arrays[0], snap.ids)] for a in arrays) if len(arrays[0]) else arrays
            if keep.all() and len(theirs) == 0:
                continue
            mine = frame[keep]
            merged = pd.concat([mine, theirs], ignore_index=True) if len(theirs) else mine.reset_index(drop=True)
            ids = np.concatenate([snap.ids[keep], arrays[0]])
            pos = np.concatenate([snap.pos[keep], arrays[1]])
            order = np.argsort(pos, kind="stable")
            merged = merged.iloc[order].reset_index(drop=True)
            if isinstance(frame, gpd.GeoDataFrame) and not isinstance(merged, gpd.GeoDataFrame):
                merged = gpd.GeoDataFrame(merged, geometry=frame.geometry.name, crs=s.STORAGE_CRS)
            merged.attrs = {}
            out[name] = _attach(merged, replace(
                snap, ids=ids[order], pos=pos[order],
                hashes=np.concatenate([snap.hashes[keep], arrays[2]])[order],
                units=np.concatenate([snap.units[keep], arrays[3]])[order]))
        return out

    # metadata and units ----------------------------------------------------------------------
    def write_meta(self) -> dict[str, Any]:
        """Write the metadata keys this save changed; return the metadata as stored.

        A key changed by this project (unlike its value at the base revision) touches the
        ``project`` unit; a key only someone else changed keeps their value.
        """
        stored = dict(self.conn.execute(self.store._sql("SELECT key, value FROM {m}", m=META_TABLE)).fetchall())
        at_base = self._meta_at_base(stored)
        out = {**{k: json.loads(v) for k, v in stored.items()}, **self.project.meta}
        for key, value in self.project.meta.items():
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
            volatile = key in VOLATILE_META
            if stored.get(key) == text:
                continue
            if not volatile and at_base.get(key) == text:
                out[key] = json.loads(stored[key])  # someone else's change to a key we did not touch
                continue
            self.conn.execute(self.store._sql("INSERT INTO {m} VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
                                              " SET value = EXCLUDED.value", m=META_TABLE), (key, text))
            if not volatile:
                self.log.append((self.new_rev, self.now, self.user, META_TABLE, "u", UNIT_PROJECT, None, None,
                                 json.dumps({"key": key, "old": stored.get(key)}, ensure_ascii=False)))
                self.touched.add(UNIT_PROJECT)
        return out

    def _meta_at_base(self, stored: dict[str, str]) -> dict[str, str | None]:
        """The metadata as it was at the base revision (later changes undone from the change log)."""
        rows = self.conn.execute(self.store._sql(
            "SELECT detail FROM {ch} WHERE tbl = %s AND revision > %s ORDER BY revision DESC, id DESC",
            ch=CHANGES), (META_TABLE, self.base_rev)).fetchall()
        out: dict[str, str | None] = dict(stored)
        for (detail,) in rows:
            change = json.loads(detail)
            out[change["key"]] = change["old"]
        return out

    def check_scope(self) -> None:
        """Refuse new rows of units outside the town/community this project was loaded with."""
        town, community = self.scope
        if town is None and community is None:
            return
        if community is not None:
            allowed = {f"community:{community}"}
        else:
            rows = self.conn.execute(self.store._sql("SELECT code FROM {c} WHERE _town = %s", c=s.COMMUNITIES),
                                     (str(town),)).fetchall() if s.COMMUNITIES in self.catalogue else []
            allowed = {f"community:{r[0]}" for r in rows} | {f"town:{town}"}
        for name, units in self.new_units.items():
            outside = sorted(unit_code(u) for u in units if u != UNIT_PROJECT and u not in allowed)
            if outside and name != s.TOWNS:
                msg = f"rows of {name} outside the loaded scope: {outside}"
                raise GeoInputError(msg, code="store.out_of_scope", file=self.store.location, table=name,
                                    units="、".join(outside[:10]))

    def check_and_stamp_units(self) -> None:
        """Raise ``ConflictError`` if another save changed a unit this one changes; else stamp them."""
        self.check_scope()
        touched = sorted(self.touched)
        if touched:
            rows = self.conn.execute(self.store._sql(
                "SELECT unit, revision FROM {u} WHERE unit = ANY(%s) AND revision > %s ORDER BY unit", u=UNITS),
                (touched, self.base_rev)).fetchall()
            rows = [r for r in rows if r[1] not in self.own]
            if rows:
                clash = [unit_code(r[0]) for r in rows]
                msg = f"units {clash} of {self.store.location} changed after revision {self.base_rev}"
                raise ConflictError(msg, code="save_conflict.units", file=self.store.location,
                                    units="、".join(clash[:10]), unit_list=[r[0] for r in rows],
                                    disk_revision=max(int(r[1]) for r in rows), our_revision=self.base_rev)
            with self.conn.cursor() as cur:
                cur.executemany(self.store._sql(
                    "INSERT INTO {u} VALUES (%s, %s, %s, %s) ON CONFLICT (unit) DO UPDATE SET revision ="
                    " EXCLUDED.revision, saved_at = EXCLUDED.saved_at, saved_by = EXCLUDED.saved_by", u=UNITS),
                    [(u, self.new_rev, self.now, self.user) for u in touched])
        if self.log:
            with self.conn.cursor() as cur, cur.copy(self.store._sql(
                    "COPY {ch} (revision, time, saved_by, tbl, op, unit, row_id, row_hash, detail) FROM STDIN",
                    ch=CHANGES)) as copy:
                for row in self.log:
                    copy.write_row(row)


def _python_values(values: Any) -> np.ndarray:
    """Values as Python objects for COPY (None for missing)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    if isinstance(values, np.ndarray):
        return values
    return np.array([None if v is pd.NA else v for v in values.tolist()], dtype=object)


def _clean(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _empty_base() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=object))


def _snapshots(project: Project, store_id: str) -> list[RowSnapshot]:
    """The row snapshots of ``project``'s frames taken from this store."""
    out = []
    for df in [*project.layers.values(), *project.tables.values()]:
        snap = df.attrs.get(SNAPSHOT_ATTR)
        if isinstance(snap, RowSnapshot) and snap.store == store_id:
            out.append(snap)
    return out


def _project_scope(project: Project, store_id: str) -> tuple[str | None, str | None]:
    """The town/community a project was loaded with from this store (None, None: the whole project)."""
    snaps = _snapshots(project, store_id)
    return snaps[0].scope if snaps else (None, None)


def _interpolated(kept: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Positions for a frame's rows: kept rows keep their stored ``pos``, new rows fall between neighbours."""
    n = len(kept)
    has = kept >= 0
    if not has.any():
        return np.arange(n, dtype=np.float64)
    out = np.full(n, np.nan)
    out[has] = pos[kept[has]]
    if has.all():
        return out
    idx = np.arange(n)
    known = idx[has]
    prev_i = np.maximum.accumulate(np.where(has, idx, -1))
    next_i = np.minimum.accumulate(np.where(has, idx, n)[::-1])[::-1]
    for i in idx[~has]:
        if prev_i[i] < 0:
            out[i] = out[known[0]] - (known[0] - i)
        elif next_i[i] >= n:
            out[i] = out[known[-1]] + (i - known[-1])
        else:
            lo, hi = out[prev_i[i]], out[next_i[i]]
            out[i] = lo + (hi - lo) * (i - prev_i[i]) / (next_i[i] - prev_i[i])
    return out


def sql_of(writer: _Writer, template: str, name: str) -> Any:
    """``template`` with ``{t}`` the project's table ``name``."""
    from psycopg import sql

    return sql.SQL(template).format(t=writer.q(name))


def narrowed_frame(df: pd.DataFrame, keep: Any, *, town: str | None, community: str | None) -> pd.DataFrame:
    """The rows of ``df`` that ``keep(frame)`` selects, its row snapshot narrowed alike (``geo.access``).

    Rows left out are neither deleted nor rewritten by a later save; the snapshot's scope
    becomes the town or community, so new rows outside it are refused (``store.out_of_scope``).
    """
    out = df[np.asarray(keep(df), dtype=bool)]
    snap = df.attrs.get(SNAPSHOT_ATTR)
    out.attrs = {}
    if not isinstance(snap, RowSnapshot):
        return out
    base = snap.copy if snap.copy is not None else df
    rows = np.asarray(keep(base), dtype=bool)
    copy = None
    if snap.copy is not None:
        copy = snap.copy[rows]
        copy.attrs = {}
    out.attrs[SNAPSHOT_ATTR] = replace(snap, ids=snap.ids[rows], pos=snap.pos[rows], hashes=snap.hashes[rows],
                                       units=snap.units[rows], scope=(town, community), copy=copy)
    return out
