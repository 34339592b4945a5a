"""Point-to-grid assignment and coverage as Dask jobs: the single-process functions, run per partition.

The single-process path (``geo.assign.point_grids_table``, ``geo.coverage.service_reach``) is
the reference and stays the default; this module only cuts the work into spatially sorted
partitions, runs **those same functions** on each (threads, processes or a dask.distributed
cluster) and stitches the results back in the reference order. Results are identical:

- points: partitions are Hilbert-sorted runs of points, or files already cut by town (the
  city cache, consecutive towns in even groups), ``task_points`` points per task (``TASKS_PER_THREAD``
  tasks per worker thread, ``MIN_TASK_POINTS`` to ``MAX_TASK_POINTS`` points each). Each partition
  gets the code and geometry of every unit whose envelope meets the partition's
  bounding box, so every unit *covering* one of its points is there: the ``within`` rows, ties
  included (points on shared edges), are the reference's. The units travel once per worker, packed
  (``UnitPack``: codes, envelopes, WKB), and a task decodes only those near its box. A task reads
  its points' geometries only and sends back int32 grid rows and its few ties, not frames, ids or
  geometries; on a cluster the parent fetches each straight from its worker and writes it into the
  layer's columns (made, and the ids read, while the tasks run) as it arrives. Points not
  ``within`` at some level (outside every grid, or no coordinates) are re-run once on all units,
  so the nearest-grid fallback is the reference's too.
- coverage: partitions are towns (each grid's town from ``geo.hierarchy.grid_tree``). A town's
  job sees every grid whose envelope meets the town's box (a household on an edge with a
  neighbouring town's grid is tied the same way), the households in that box and the service
  points within the largest radius of it (metric CRS), and every category of the whole layer.
- roll-ups: ``geo.rollup.coverage_rollup`` per town for its communities and itself (towns are
  joined when a grid's parent lies in another town, so leaves stay leaves), and once over every
  grid, without unit layers, for the whole place.

``scheduler`` is ``"threads"``, ``"processes"`` (dask's local schedulers), the address of a
dask.distributed scheduler (``tcp://host:8786``) or a ``distributed.Client``. Workers started by a
dask nanny get ``MALLOC_TRIM_THRESHOLD_=65536``, which makes every array over 128 kB a fresh mmap:
start them without it (``distributed.nanny.pre-spawn-environ``, as ``bench.city`` does) for ~1 CPU-s
less kernel time per city run.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
import json
import os
import threading
from pathlib import Path
from typing import Any

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import schema as s
from geo.assign import (POINT_GRID_COLUMNS, POINT_LAYERS, Placement, bulk_work, code_lookup, covering_grids, filled,
                        grid_codes_at, level_units, place_points, point_grid_rows, point_grids_table)
from geo.coverage import DEFAULT_QUAD_SEGS, category_masks, radii_from, service_reach
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.hierarchy import grid_tree, place_code
from geo.rollup import coverage_rollup

LOCAL_SCHEDULERS = ("threads", "processes")
UNIT_LAYERS = (s.GRIDS, s.COMMUNITIES, s.TOWNS)
PointPart = gpd.GeoDataFrame | Path  # a partition in memory, or a GeoParquet file (read by the worker)


# --- schedulers ----------------------------------------------------------------------------

def check_scheduler(scheduler: Any) -> None:
    """Raise ``GeoInputError`` (``distributed.bad_scheduler``) unless ``scheduler`` is usable."""
    if isinstance(scheduler, str) and (scheduler in LOCAL_SCHEDULERS or "://" in scheduler):
        return
    if scheduler is not None and type(scheduler).__name__ == "Client":
        return
    msg = f"unknown scheduler {scheduler!r}"
    raise GeoInputError(msg, code="distributed.bad_scheduler", scheduler=str(scheduler),
                        valid=", ".join(LOCAL_SCHEDULERS) + ", tcp://host:port")


SHARED_ATTR = "_gridatlas_shared"  # on a distributed.Client: (token, future) of the last value shared with a token


class Runner:
    """Runs dask delayed objects on one scheduler: ``runner(tasks)`` starts them and yields (position in the
    list, result) as each finishes (on a cluster the caller works while the tasks run; dask's local
    schedulers compute them all at the first result); ``runner.share(value)`` is ``value`` as a task
    argument sent once to every worker (not once per task: a large graph is pickled in the parent).

    On a client, a shared value with a ``token`` (``UnitPack``) stays on the workers while the client
    lives, and the next run sharing the same token reuses it instead of sending it again (the city's
    units: ~0.08 s before any task could start; measured, bench/city.py); one value per client, kept
    on the client object itself (``SHARED_ATTR``: it goes with the client).
    """

    def __init__(self, scheduler: Any, client: Any = None) -> None:
        self.scheduler, self.client = scheduler, client

    @property
    def threads(self) -> int:
        """The worker threads tasks run on: the cluster's, or this machine's cores (dask's local schedulers)."""
        if self.client is None:
            return os.cpu_count() or 1
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()) or 1

    def share(self, value: Any) -> Any:
        if self.client is None:
            return dask.delayed(value, traverse=False)
        token = getattr(value, "token", None)
        kept = getattr(self.client, SHARED_ATTR, None)
        if token is not None and kept is not None and kept[0] == token and kept[1].status == "finished":
            return kept[1]
        future = self.client.scatter([value], broadcast=True, hash=False, direct=True)[0]
        if token is not None:
            setattr(self.client, SHARED_ATTR, (token, future))
        return future

    def __call__(self, tasks: list) -> Iterator[tuple[int, Any]]:
        if self.client is None:
            return enumerate(dask.compute(*tasks, scheduler=self.scheduler))
        return self._arriving(self.client.compute(tasks))  # submitted now, not at the first result

    def _arriving(self, futures: list) -> Iterator[tuple[int, Any]]:
        """Results fetched straight from the workers as they finish (``direct``: through the scheduler
        they would be received and sent again, in the parent's own process with a LocalCluster)."""
        from distributed import as_completed

        position = {f.key: i for i, f in enumerate(futures)}
        done = as_completed(futures)
        del futures  # a result's memory on its worker is released once it has been fetched
        for batch in done.batches():
            for f, result in zip(batch, self.client.gather(batch, direct=True)):
                yield position[f.key], result


@contextmanager
def running_on(scheduler: Any) -> Iterator[Runner]:
    """A ``Runner`` on ``scheduler``; a client made from an address is closed after."""
    check_scheduler(scheduler)
    if isinstance(scheduler, str) and scheduler in LOCAL_SCHEDULERS:
        yield Runner(scheduler)
        return
    if isinstance(scheduler, str):
        from distributed import Client

        client = Client(scheduler)
        try:
            yield Runner(scheduler, client)
        finally:
            client.close()
        return
    yield Runner(scheduler, scheduler)


@contextmanager
def compute_with(scheduler: Any) -> Iterator[Callable[[list], list]]:
    """A function computing a list of dask delayed objects on ``scheduler``: the results in list order."""
    with running_on(scheduler) as start:
        def compute(tasks: list) -> list:
            results: list = [None] * len(tasks)
            for i, result in start(tasks):
                results[i] = result
            return results

        yield compute


# --- partitions ------------------------------------------------------------------------------

def hilbert_parts(points_gdf: gpd.GeoDataFrame, *, npartitions: int) -> list[np.ndarray]:
    """Row positions of ``points_gdf`` in ``npartitions`` runs along the Hilbert curve (input order within)."""
    n = len(points_gdf)
    npartitions = max(1, min(npartitions, n))
    geoms = points_gdf.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    dist = np.zeros(n, dtype=np.int64)
    if ok.any():
        dist[ok] = points_gdf.geometry[ok].hilbert_distance().to_numpy()
    order = np.argsort(dist, kind="stable")
    return [np.sort(chunk) for chunk in np.array_split(order, npartitions) if len(chunk)]


def units_near(units: Mapping[str, gpd.GeoDataFrame], bounds: np.ndarray) -> dict[str, gpd.GeoDataFrame]:
    """The rows of each unit layer whose envelope meets ``bounds`` (minx, miny, maxx, maxy), in layer order."""
    if not np.all(np.isfinite(bounds)):
        return {name: gdf.iloc[:0] for name, gdf in units.items()}
    box = shapely.box(*bounds)
    return {name: gdf.iloc[np.sort(gdf.sindex.query(box))] for name, gdf in units.items()}


def parquet_bounds(path: Path) -> np.ndarray:
    """The bounding box a GeoParquet file declares for its geometry column (no row is read)."""
    return _parquet_rows_and_bounds(path)[1]


def _parquet_rows_and_bounds(path: Path) -> tuple[int, np.ndarray]:
    """Rows and declared bounding box of a GeoParquet file, from its footer, read once per version of
    the file (inode, size, modification time): the city's 264 footers cost ~0.04 s before any task
    could start, on every run (measured: bench/city.py)."""
    st = Path(path).stat()
    rows, bounds = _footer(str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    return rows, bounds.copy()


@lru_cache(maxsize=4096)
def _footer(path: str, _inode: int, _size: int, _mtime_ns: int) -> tuple[int, np.ndarray]:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    geo = json.loads(meta.metadata[b"geo"])
    return meta.num_rows, np.asarray(geo["columns"][geo["primary_column"]]["bbox"], dtype=float)


def _points_bounds(points_gdf: gpd.GeoDataFrame) -> np.ndarray:
    b = shapely.bounds(points_gdf.geometry.values)
    if not np.isfinite(b).any():
        return np.full(4, np.nan)
    return np.array([np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3])])


# --- points to grids -------------------------------------------------------------------------

MAX_TASK_POINTS = 200_000  # points per task at most: each task costs the parent's scheduler and comms ~5 ms of CPU
# and its worker more (frames, trees, Dask's own); the city on 2 workers, same code otherwise: 68 tasks of 100 k
# 1.29-1.48x one process, 37 of 200 k 1.51-1.56x, 26 of 300 k 1.54x (measured, bench/city.py)
TASKS_PER_THREAD = 4  # tasks per worker thread at least while tasks keep MIN_TASK_POINTS: the last ones even out the
# threads' finishing times (scale 0.1, 2 workers: 4 tasks 0.88-1.31x one process, 8 tasks 1.22-1.41x)
MIN_TASK_POINTS = 20_000


def task_points(n_points: int, *, threads: int) -> int:
    """Points per task for ``n_points`` on ``threads`` worker threads: ``TASKS_PER_THREAD`` tasks per thread,
    within ``MIN_TASK_POINTS`` and ``MAX_TASK_POINTS``."""
    per_task = -(-n_points // (TASKS_PER_THREAD * max(1, threads)))
    return int(min(MAX_TASK_POINTS, max(MIN_TASK_POINTS, per_task)))


@lru_cache(maxsize=16)
def _process_crs(srs: str) -> pyproj.CRS:
    """One parsed CRS per text per process: a CRS shipped to a task is parsed again on its first use
    there (15-50 ms: PROJ reads its database), a cached one once per worker."""
    return pyproj.CRS.from_user_input(srs)


@lru_cache(maxsize=16)
def _parquet_crs(text: str) -> pyproj.CRS | None:
    """The CRS a GeoParquet geometry column declares (its JSON text), parsed once per process: PROJ
    takes 15-50 ms per PROJJSON parse, which ``gpd.read_parquet`` pays for every file (264 city files:
    seconds; measured, bench/city.py). Absent means OGC:CRS84 (the GeoParquet rule), null no CRS."""
    crs = json.loads(text)
    if crs is None:
        return None

    def drop_member_ids(node: dict) -> None:  # as geopandas reads it (older PROJ databases lack the ids)
        for key, value in node.items():
            if isinstance(value, dict):
                drop_member_ids(value)
            elif key == "members" and isinstance(value, list):
                for member in value:
                    member.pop("id", None)

    if isinstance(crs, dict):
        drop_member_ids(crs)
        return _process_crs(json.dumps(crs))
    return _process_crs(crs)


def _read_point_file(path: Path, *, columns: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """One GeoParquet file as ``gpd.read_parquet`` reads it (columns, index, WKB geometry), its CRS parsed
    once per process (``_parquet_crs``); ``columns``: only these besides the geometry (and no index).
    Files with other geometry encodings or several geometry columns are read by ``gpd.read_parquet``."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)  # not pq.read_table: its dataset layer costs ~1 ms per file, and reads WKB
    # ~1.7x slower (city, 264 files: 0.5-0.8 s against 0.3 s; measured, bench/city.py)
    geo = json.loads(file.schema_arrow.metadata[b"geo"])
    name = geo["primary_column"]
    column = geo["columns"][name]
    if len(geo["columns"]) > 1 or column.get("encoding", "WKB").upper() != "WKB":
        return gpd.read_parquet(path, columns=None if columns is None else [*columns, name])
    table = file.read(columns=None if columns is None else [*columns, name], use_pandas_metadata=columns is None)
    crs = _parquet_crs(json.dumps(column.get("crs", "OGC:CRS84"), sort_keys=True))
    geometry = gpd.array.from_wkb(np.asarray(table[name]), crs=crs)
    if columns is not None and not columns:  # the geometry alone: no pandas frame to build and fill
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries(geometry, name=name))
    order = list(table.slice(0, 0).to_pandas().columns)
    frame = table.drop([name]).to_pandas()
    frame.insert(order.index(name), name, geometry)
    return gpd.GeoDataFrame(frame, geometry=name)


def read_point_files(files: Sequence[Path], *, columns: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """GeoParquet point files (e.g. the city cache's households, one per town) read and concatenated in
    order: every column and the index, or only the geometry and ``columns`` (a Dask task reads the
    geometry alone: the parent has the ids, ``read_point_column``)."""
    with bulk_work():
        frames = [_read_point_file(Path(f), columns=columns) for f in files]
        if len(frames) == 1:
            return frames[0]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=columns is not None),
                                crs=frames[0].crs)  # the files' CRS object: not parsed again


def read_point_column(files: Sequence[Path], column: str) -> pd.Series:
    """One column of GeoParquet point files, read alone: ``read_point_files(files)[column]``'s values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return pd.Series([], name=column, dtype=object)
    return pa.concat_tables([pq.ParquetFile(Path(f)).read(columns=[column]) for f in files]).to_pandas()[column]


def _with_process_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` with its CRS replaced by this process's parsed copy of the same CRS (``_process_crs``)."""
    if gdf.crs is None:
        return gdf
    return gdf.set_crs(_process_crs(gdf.crs.srs), allow_override=True)


def _read_part(part: PointPart | list[Path]) -> gpd.GeoDataFrame:
    if isinstance(part, gpd.GeoDataFrame):
        return _with_process_crs(part)
    return read_point_files(part if isinstance(part, list) else [part], columns=[])


_PACK: dict[str, tuple[list, list, UnitPack]] = {}  # "last": the last UnitPack.of's (key, geometries, pack)
_PACK_LOCK = threading.Lock()
_DECODED = threading.local()  # per thread: (token, per level (geometries, decoded?)) of the last UnitPack used


def _identities(geometries: Any) -> np.ndarray:
    """The identity of each geometry object (equal while the objects are alive: ``UnitPack.of`` keeps them)."""
    return np.fromiter(map(id, np.asarray(geometries, dtype=object)), dtype=np.intp, count=len(geometries))


class UnitPack:
    """The unit layers as a task needs them, packed to travel: per level the codes, the envelopes, the
    geometries as WKB in one Arrow array (a few buffers to send, not one object per unit to pickle and
    decode) and the CRS as text; ``token`` is a hash of all of it. Sent once to every worker; there each
    unit is decoded the first time a task's points come near it and kept, with the token, for the
    thread's next tasks and next runs on the same units (decoding and preparing them again cost each
    worker ~0.2 s per city run; measured: bench/city.py). A thread keeps one unit set: a pack with
    another token replaces it."""

    def __init__(self, levels: list[tuple[str, gpd.GeoDataFrame]]) -> None:
        import hashlib

        import pyarrow as pa

        self.levels = [(np.asarray(gdf[s.CODE].to_numpy(), dtype=object), shapely.bounds(gdf.geometry.values),
                        pa.array(shapely.to_wkb(gdf.geometry.values), type=pa.binary()),
                        None if gdf.crs is None else gdf.crs.srs) for _, gdf in levels]
        digest = hashlib.blake2b(digest_size=16)
        for codes, bounds, wkb, srs in self.levels:
            for part in ("\x1f".join(map(str, codes)).encode(), bounds.tobytes(), str(srs).encode(),
                         *(b for b in wkb.buffers() if b is not None)):
                view = memoryview(part)
                digest.update(view.nbytes.to_bytes(8, "little"))
                digest.update(view)
        self.token = digest.hexdigest()

    @classmethod
    def of(cls, levels: list[tuple[str, gpd.GeoDataFrame]]) -> UnitPack:
        """``UnitPack(levels)``, the last one made in this process while the levels hold the very same
        geometry objects (immutable: shapely 2), codes and CRS: packing the city's units again cost
        ~0.09 s before any task could start, on every run (measured: bench/city.py). The kept pack
        holds the geometries it was made of, so an object's identity cannot be taken by another."""
        key = [(name, np.asarray(gdf[s.CODE].to_numpy(), dtype=object), _identities(gdf.geometry.values),
                None if gdf.crs is None else gdf.crs.srs) for name, gdf in levels]
        with _PACK_LOCK:
            kept = _PACK.get("last")
            if kept is not None and len(kept[0]) == len(key) and all(
                    a[0] == b[0] and a[3] == b[3] and np.array_equal(a[2], b[2]) and np.array_equal(a[1], b[1])
                    for a, b in zip(kept[0], key)):
                return kept[2]
            pack = cls(levels)
            # the geometry objects themselves, not the layers' arrays: an array edited in place would let
            # an old object go and its identity be taken by a new one
            _PACK["last"] = (key, [np.array(gdf.geometry.values, dtype=object) for _, gdf in levels], pack)
            return pack

    def _geometries(self, k: int, rows: np.ndarray) -> np.ndarray:
        """The geometries of level ``k``'s ``rows``, decoded once per thread and kept for its next tasks.

        Per thread, not per process: GEOS prepares a geometry in place when a query uses it, and two
        threads preparing the same geometry at once crash the process (the threads scheduler).
        """
        kept = getattr(_DECODED, "units", None)
        if kept is None or kept[0] != self.token:
            kept = _DECODED.units = (self.token, [None] * len(self.levels))
        decoded = kept[1]
        if decoded[k] is None:
            n = len(self.levels[k][0])
            decoded[k] = (np.empty(n, dtype=object), np.zeros(n, dtype=bool))
        geoms, done = decoded[k]
        new = rows[~done[rows]]
        if len(new):
            geoms[new] = shapely.from_wkb(self.levels[k][2].take(new).to_numpy(zero_copy_only=False))
            done[new] = True
        return geoms[rows]

    def near(self, box: np.ndarray) -> list[tuple[gpd.GeoDataFrame, np.ndarray]]:
        """Per level: the units whose envelope meets ``box`` (code + geometry) and their rows in the level,
        the rows ``gdf.sindex.query(shapely.box(*box))`` gives, in layer order."""
        out = []
        for k, (codes, b, _wkb, srs) in enumerate(self.levels):
            if np.all(np.isfinite(box)):
                rows = np.flatnonzero((b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3])
                                      & (b[:, 3] >= box[1]))
            else:
                rows = np.array([], dtype=np.int64)
            out.append((gpd.GeoDataFrame({s.CODE: codes[rows]}, geometry=self._geometries(k, rows),
                                         crs=None if srs is None else _process_crs(srs)), rows))
        return out


def _place_part(part: PointPart | list[Path], units: UnitPack, box: np.ndarray) -> dict[str, Any]:
    """``geo.assign.covering_grids`` of one partition at every level, compactly: per level the grid's row
    in the whole level (int32) and the ties (positions, texts), for the points ``within`` a unit at
    every level; the others (``left``, positions in the part, their geometries as WKB) are placed again
    on all units by the caller (``place_points``: the nearest-grid fallback needs every unit).

    ``units`` are the levels' units (sent once per worker), ``box`` the part's bounding box: the task
    takes the units whose envelope meets it.
    """
    with bulk_work():  # the part's geometries are gone before the collector is back: it never walks them
        return _placed_part(part, units, box)


def _placed_part(part: PointPart | list[Path], units: UnitPack, box: np.ndarray) -> dict[str, Any]:
    """The work of ``_place_part``, its geometries freed on return."""
    points = _read_part(part)
    done = np.ones(len(points), dtype=bool)
    grids, ties = [], []
    for sub, rows in units.near(box):
        covering = covering_grids(points, sub)
        done[covering.outside] = False
        grids.append(np.where(covering.grid >= 0, rows[np.maximum(covering.grid, 0)], -1).astype(np.int32))
        tied = np.flatnonzero(covering.tie)
        ties.append((tied, covering.tie_with[tied]))
    left = np.flatnonzero(~done)
    return {"n": len(points), "grids": grids, "ties": ties, "left": left,
            "left_wkb": shapely.to_wkb(points.geometry.values[left]), "crs": points.crs}


def file_groups(files: Sequence[Path], *, threads: int) -> list[list[Path]]:
    """The files of each task on ``threads`` worker threads: consecutive files (towns in code order:
    neighbours) in groups of ``task_points`` rows on average, as even as whole files allow."""
    return [[f for f, _, _ in g] for g in _file_groups_with_bounds(files, threads=threads)]


def _file_groups_with_bounds(files: Sequence[Path], *, threads: int,
                             one_per_file: bool = False) -> list[list[tuple[Path, np.ndarray, int]]]:
    """``file_groups`` with each file's declared bounding box and rows (from the footers); a file goes to
    the group its middle row falls in when the rows are cut into equal runs."""
    footers = [(Path(f), *_parquet_rows_and_bounds(Path(f))) for f in files]
    rows = np.array([n for _, n, _ in footers], dtype=np.int64)
    total = int(rows.sum())
    if one_per_file:
        return [[(f, bounds, n)] for f, n, bounds in footers]
    n_groups = max(1, min(len(footers), -(-total // task_points(total, threads=threads))))
    middles = np.cumsum(rows) - rows / 2
    group = np.minimum((middles * n_groups / max(total, 1)).astype(np.int64), n_groups - 1)
    groups: dict[int, list[tuple[Path, np.ndarray, int]]] = {}
    for g, (f, n, bounds) in zip(group.tolist(), footers):
        groups.setdefault(g, []).append((f, bounds, n))
    return list(groups.values())


def _plan_layer(source: gpd.GeoDataFrame | Sequence[Path], *, npartitions: int | None,
                threads: int) -> list[tuple[PointPart | list[Path], np.ndarray | slice, np.ndarray]]:
    """(part, its rows in the layer, its bounding box) per task; files are read in order, so a group's
    rows are the slice after the rows of the groups before it (from the footers)."""
    if isinstance(source, gpd.GeoDataFrame):
        points = source.reset_index(drop=True)
        n_parts = npartitions or -(-len(points) // task_points(len(points), threads=threads))
        return [(points.iloc[rows], rows, _points_bounds(points.iloc[rows]))
                for rows in hilbert_parts(points, npartitions=n_parts)]
    groups = _file_groups_with_bounds(source, threads=threads, one_per_file=bool(npartitions))
    ends = np.cumsum([sum(n for _, _, n in g) for g in groups], dtype=np.int64)
    return [([f for f, _, _ in g], slice(int(end) - sum(n for _, _, n in g), int(end)),
             _rows_bounds(np.array([b for _, b, _ in g]))) for g, end in zip(groups, ends)]


def point_grids_table_dask(project_layers: Mapping[str, gpd.GeoDataFrame | Sequence[Path]], *,
                           scheduler: Any, max_distance_m: float | None = None,
                           layers: Sequence[str] = tuple(POINT_LAYERS), crs_metric: str | pyproj.CRS = s.METRIC_CRS,
                           npartitions: int | None = None) -> pd.DataFrame:
    """``geo.assign.point_grids_table`` computed per spatial partition on ``scheduler``: the same table.

    Each task reads (files) or receives its points and only the units near them, and sends back
    compact arrays (grid rows as int32, ties); the points it could not settle (not ``within`` a
    unit at every level) are placed again here on all units (nearest-grid fallback).

    Parameters
    ----------
    project_layers
        As for ``point_grids_table``; a point layer may also be a list of GeoParquet files
        (partitions read by the workers in list order, e.g. the city cache's household files,
        one per town, grouped to ``task_points`` rows per task).
    scheduler
        ``"threads"``, ``"processes"``, a scheduler address or a ``distributed.Client``.
    npartitions
        Partitions of an in-memory point layer (Hilbert-sorted; default ``task_points`` points
        each); for files, one task per file when given.

    Returns
    -------
    pandas.DataFrame
        Equal to ``point_grids_table(...)`` on the same layers (files: read and concatenated).
    """
    with bulk_work():  # the parent's columns of millions of rows too (``geo.assign.bulk_work``)
        units = {name: project_layers[name] for name in UNIT_LAYERS if name in project_layers}
        levels = level_units(units)
        tasks: list = []
        with running_on(scheduler) as start:
            plans = []
            for layer in layers:
                source = project_layers.get(layer)
                if source is None or (isinstance(source, gpd.GeoDataFrame) and not len(source)):
                    continue
                plans.append((layer, source, _plan_layer(source, npartitions=npartitions, threads=start.threads)))
            shared = start.share(UnitPack.of(levels)) if plans else None
            for layer, source, plan in plans:
                tasks.extend(dask.delayed(_place_part)(part, shared, box)
                             for part, _, box in plan)
            arriving = start(tasks)  # on a cluster the tasks run while the layers' columns are made below
            layouts = [_LayerRows(layer, source, levels) for layer, source, _ in plans]
            owner = [(k, j, r) for k, (_, _, plan) in enumerate(plans) for j, (_, r, _) in enumerate(plan)]
            for i, done in arriving:
                k, j, rows = owner[i]
                layouts[k].take(j, rows, done)
        frames = [f for rows in layouts for f in rows.frames(max_distance_m=max_distance_m, crs_metric=crs_metric)]
        if not frames:
            return point_grids_table(project_layers={}, layers=())
        return pd.concat(frames, ignore_index=True)[list(POINT_GRID_COLUMNS)]


def _at(rows: np.ndarray | slice, positions: np.ndarray) -> np.ndarray:
    """Positions in a part -> rows of the layer (a part's rows: an array, or a slice of a file group)."""
    return positions + rows.start if isinstance(rows, slice) else rows[positions]


class _LayerRows:
    """One point layer's ``point_grids`` columns at every level, made before the tasks' results arrive
    and filled in place as each arrives (one array per column, each task's part written at its rows);
    ``frames`` places the points the tasks left on all units and returns the rows in the reference order."""

    def __init__(self, layer: str, source: gpd.GeoDataFrame | Sequence[Path],
                 levels: list[tuple[str, gpd.GeoDataFrame]]) -> None:
        self.layer, self.levels = layer, levels
        # files: the id column read here while the tasks run (one column: shipped back from the workers,
        # 8 M ids were 264 of the results' 297 MB)
        id_col = POINT_LAYERS[layer]
        self.ids = source[id_col] if isinstance(source, gpd.GeoDataFrame) else read_point_column(source, id_col)
        n = len(self.ids)
        self.placed = [Placement(np.empty(n, dtype=np.int32), filled(n, "within"), np.zeros(n),
                                 np.zeros(n, dtype=bool), filled(n, ""), filled(n, None)) for _ in levels]
        self.codes = [filled(n, None) for _ in levels]
        self.lookups = [code_lookup(gdf) for _, gdf in levels]  # codes[grid], made once per level
        self.parts: list[tuple[int, np.ndarray | slice, dict[str, Any]]] = []

    def take(self, part: int, rows: np.ndarray | slice, done: dict[str, Any]) -> None:
        """Write the result (``_place_part``) of the plan's ``part``-th task at its rows."""
        for lookup, placed, codes, grid, (tied, texts) in zip(self.lookups, self.placed, self.codes,
                                                               done["grids"], done["ties"]):
            placed.grid[rows] = grid
            codes[rows] = lookup[grid]
            placed.tie[_at(rows, tied)] = True
            placed.tie_with[_at(rows, tied)] = texts
        self.parts.append((part, rows, {k: done[k] for k in ("left", "left_wkb", "crs")}))

    def frames(self, *, max_distance_m: float | None, crs_metric: str | pyproj.CRS) -> list[pd.DataFrame]:
        parts = [(rows, done) for _, rows, done in sorted(self.parts, key=lambda p: p[0])]  # plan order
        left_rows = np.concatenate([_at(r, d["left"]) for r, d in parts]) if parts else np.array([], dtype=np.int64)
        # the points left as one frame: one CRS read (a shipped frame's CRS is parsed again on first use)
        left = gpd.GeoDataFrame(geometry=shapely.from_wkb(np.concatenate([d["left_wkb"] for _, d in parts])),
                                crs=parts[0][1]["crs"]) if len(left_rows) else None
        frames = []
        for (level, gdf), placed, codes in zip(self.levels, self.placed, self.codes):
            if left is not None:
                again = place_points(left, gdf, max_distance_m=max_distance_m, crs_metric=crs_metric)
                for mine, theirs in zip(placed, again):
                    mine[left_rows] = theirs
                codes[left_rows] = grid_codes_at(gdf, again.grid)
            frames.append(point_grid_rows(self.ids, codes, placed, layer=self.layer, level=level))
        return frames


# --- coverage ----------------------------------------------------------------------------------

def _reach_part(project: Any, part_codes: np.ndarray, *, radii_m: list[float], categories: list[str],
                quad_segs: int) -> pd.DataFrame:
    """``service_reach`` on one town's sub-project, keeping the rows of the town's own grids."""
    rows = service_reach(project, radii_m=radii_m, categories=categories, quad_segs=quad_segs)
    return rows[rows[s.GRID_CODE].isin(set(part_codes))]


def service_reach_dask(project: Any, *, scheduler: Any, radii_m: Sequence[float] | None = None,
                       categories: Sequence[str] | None = None, quad_segs: int = DEFAULT_QUAD_SEGS) -> pd.DataFrame:
    """``geo.coverage.service_reach`` (straight line) computed per town on ``scheduler``: the same table.

    Raises
    ------
    GeoInputError
        ``distributed.duplicate_grid_codes`` when grid codes repeat (rows could not be told apart).
    """
    grids = project.layer(s.GRIDS)
    codes = grids[s.CODE].astype(str).to_numpy()
    dup = pd.Index(codes)[pd.Index(codes).duplicated()].unique().tolist()
    if dup:
        msg = f"grid codes {dup[:10]} repeat"
        raise GeoInputError(msg, code="distributed.duplicate_grid_codes", ids=dup[:10], count=len(dup))
    points = project.layer(s.SERVICE_POINTS)
    keys = list(categories) if categories is not None else list(category_masks(points))
    radii = radii_from(project, radii_m)
    households = project.layer(s.HOUSEHOLDS)
    site_xy = shapely.get_coordinates(to_metric_crs(points).geometry.values) if len(points) else np.zeros((0, 2))
    grid_metric_bounds = shapely.bounds(to_metric_crs(grids).geometry.values)
    reach = max(radii)
    tasks = []
    for rows in linked_town_parts(project):
        box = _rows_bounds(shapely.bounds(grids.geometry.values[rows]))
        near = units_near({s.GRIDS: grids, s.HOUSEHOLDS: households}, box)
        mb = _rows_bounds(grid_metric_bounds[rows]) + np.array([-reach, -reach, reach, reach])
        sites = (site_xy[:, 0] >= mb[0]) & (site_xy[:, 0] <= mb[2]) & (site_xy[:, 1] >= mb[1]) & (site_xy[:, 1] <= mb[3])
        sub = project.with_layer(s.GRIDS, near[s.GRIDS]).with_layer(s.HOUSEHOLDS, near[s.HOUSEHOLDS]) \
            .with_layer(s.SERVICE_POINTS, points.iloc[np.flatnonzero(sites)])
        sub = type(sub)(layers={k: v for k, v in sub.layers.items()
                                if k in (s.GRIDS, s.HOUSEHOLDS, s.SERVICE_POINTS)}, tables={}, meta=sub.meta)
        tasks.append(dask.delayed(_reach_part)(sub, codes[rows], radii_m=radii, categories=keys, quad_segs=quad_segs))
    with compute_with(scheduler) as compute:
        results = compute(tasks)
    if not results:
        return service_reach(project, radii_m=radii, categories=keys, quad_segs=quad_segs)
    out = pd.concat(results, ignore_index=True)
    order = np.lexsort((_positions(codes, out[s.GRID_CODE]), _positions(radii, out["radius_m"]),
                        _positions(keys, out[s.CATEGORY])))
    return out.iloc[order].reset_index(drop=True)[list(s.COVERAGE_COLUMNS)]


# --- roll-ups ------------------------------------------------------------------------------------

def _rollup_part(project: Any, *, levels: tuple[str, ...]) -> pd.DataFrame:
    """``coverage_rollup`` on one sub-project, keeping the rows of ``levels``."""
    rows = coverage_rollup(project)
    return rows[rows["level"].isin(levels)]


def linked_town_parts(project: Any) -> list[np.ndarray]:
    """Grid row positions per town, towns joined when a grid's parent lies in another town (leaf status)."""
    tree = grid_tree(project)
    town = pd.Series(tree[s.TOWN_CODE].to_numpy(), dtype=object).fillna("").to_numpy()
    root = {t: t for t in set(town)}

    def find(t: str) -> str:
        while root[t] != t:
            t = root[t]
        return t

    pos = {c: i for i, c in enumerate(tree.index)}
    for i, parent in enumerate(tree[s.PARENT_CODE].to_numpy()):
        if parent in pos and town[pos[parent]] != town[i]:
            root[find(town[i])] = find(town[pos[parent]])
    group = np.array([find(t) for t in town], dtype=object)
    return [np.flatnonzero(group == g) for g in sorted(set(group))]


def coverage_rollup_dask(project: Any, *, scheduler: Any) -> pd.DataFrame:
    """``geo.rollup.coverage_rollup`` with communities and towns rolled up per town on ``scheduler``: the same table.

    Each town's job runs the one roll-up rule on that town's grids, communities and coverage
    rows; the whole place's rows come from one more job over every grid (no unit layers).
    """
    cov = project.table(s.COVERAGE)
    if len(cov) == 0 or s.CATEGORY not in cov.columns:
        return coverage_rollup(project)
    grids, comms, towns = project.layer(s.GRIDS), project.layer(s.COMMUNITIES), project.layer(s.TOWNS)
    tree = grid_tree(project)
    codes = tree.index.to_numpy()
    cov_codes = cov[s.GRID_CODE].astype(str).to_numpy()
    tasks = []
    for rows in linked_town_parts(project):
        part_comms = set(tree[s.COMMUNITY_CODE].to_numpy()[rows]) - {None}
        part_towns = set(tree[s.TOWN_CODE].to_numpy()[rows]) - {None}
        sub = type(project)(layers={
            s.GRIDS: grids.iloc[rows],
            s.COMMUNITIES: comms[comms[s.CODE].astype(str).isin(part_comms)] if s.CODE in comms else comms,
            s.TOWNS: towns[towns[s.CODE].astype(str).isin(part_towns)] if s.CODE in towns else towns,
        }, tables={s.COVERAGE: cov[np.isin(cov_codes, codes[rows])]}, meta=project.meta)
        tasks.append(dask.delayed(_rollup_part)(sub, levels=("community", "town")))
    bare = grids.drop(columns=[c for c in (s.COMMUNITY_CODE, s.TOWN_CODE) if c in grids.columns])
    whole = type(project)(layers={s.GRIDS: bare}, tables={s.COVERAGE: cov}, meta=project.meta) \
        .with_settings(place_code=place_code(project))
    tasks.append(dask.delayed(_rollup_part)(whole, levels=("city",)))
    with compute_with(scheduler) as compute:
        out = pd.concat(compute(tasks), ignore_index=True)
    order = np.lexsort((np.asarray(out["unit_code"], dtype=str), _positions(["community", "town", "city"], out["level"]),
                        out["radius_m"].to_numpy(dtype=float), np.asarray(out[s.CATEGORY], dtype=str)))
    return out.iloc[order].reset_index(drop=True)


def _positions(order: Sequence[Any], values: pd.Series) -> np.ndarray:
    """Position of each value in ``order`` (the reference's order of levels, categories, radii or grids)."""
    return pd.Index(list(order)).get_indexer(values.to_numpy())


def _rows_bounds(b: np.ndarray) -> np.ndarray:
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


__all__ = ["MAX_TASK_POINTS", "MIN_TASK_POINTS", "TASKS_PER_THREAD", "check_scheduler", "compute_with",
           "coverage_rollup_dask", "file_groups", "hilbert_parts", "linked_town_parts", "read_point_files",
           "point_grids_table_dask", "service_reach_dask", "task_points", "units_near"]
