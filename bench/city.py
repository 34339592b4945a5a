"""City-scale benchmark (issue #14): the synthetic Chengdu-size city, assignment, Dask scaling, coverage.

Run: ``python -m bench.city`` (full size: 126 k micro-grids, 8 M households; for a quiet
machine) or ``--scale 0.1`` (a tenth: minutes on a laptop). Every measured step runs in a fresh
subprocess (``--step NAME``) so its peak memory (``ru_maxrss``) is its own.

Rows (ratio / target):

- generate: ``geo.citygen.build_city`` (time, size of the GeoParquet cache; ``--regenerate``
  rebuilds, else the cached build's own figures are shown);
- households -> micro-grids on one process: ``geo.assign.assign_points`` vs the bare
  ``shapely.STRtree.query`` floor (ratio = time / floor, target <= 1.3); best of ``--repeat``
  runs of each, floor and assignment alternated, with the CPU-seconds ratio beside it (the honest
  figure on a shared machine);
- the same on Dask: ``geo.distributed.point_grids_table_dask`` on a LocalCluster of 2 worker
  processes reading the per-town household files vs ``point_grids_table`` on one process
  reading them with the same reader (ratio = one process / Dask, target >= 1.4; cores
  reported); best of ``--repeat`` after a warm-up run, the two alternated, with the CPU seconds of the parent and
  the workers, the round trip of as many empty tasks, and an idle-machine estimate from them;
  under it the machine's ceiling for that many workers: the whole one-process job run in every
  worker at once against one worker alone (cores that slow each other down cap the speed-up below
  the number of workers, whatever Dask does).

The ``verdict`` column says "met" / "NOT MET" against each target. Parallel speed-up cannot be
measured on a loaded machine: re-measure quietly with
``python -m bench.city --scale 0.1 --only dask,dask_threads`` and ``--scale 1 --only assign``.
- coverage of 3 radii x 4 categories on the city (households share included), one process
  (target < 300 s);
- ``HOOKS``: open + city view from the store, one edit saved (GeoPackage, PostGIS), staffing
  500 k x 140 k (scaled with ``--scale``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

NOT_MEASURED = "not measured"
TARGETS = {"assign_floor": 1.3, "dask_speedup": 1.4, "coverage_s": 300.0, "open_view_s": 3.0,
           "edit_gpkg_s": 0.5, "edit_postgis_s": 0.5, "staffing_s": 60.0}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


# --- steps (each in its own process) ------------------------------------------------------------

def step_generate(scale: float, *, regenerate: bool) -> dict:
    from geo.citygen import build_city, city_summary

    build_city(scale=scale, force=regenerate)
    summary = city_summary(scale=scale)
    return {"seconds": summary["seconds"], "bytes": summary["bytes"], "counts": summary["counts"],
            "fresh": regenerate, "peak_mb": _peak_mb() if regenerate else None}


def _micro(scale: float):
    from geo import schema as s
    from geo.citygen import read_city_layer

    grids = read_city_layer(s.GRIDS, scale=scale)
    return grids[grids[s.LEVEL] == s.LEVEL_MICRO].reset_index(drop=True)


def _micro_and_households(scale: float):
    from geo import schema as s
    from geo.citygen import read_city_layer

    return _micro(scale), read_city_layer(s.HOUSEHOLDS, scale=scale)


def _cpu_s() -> float:
    """CPU seconds (user + system) this process has used: the honest figure on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _best_of(func: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(best wall seconds, best CPU seconds, best user-mode CPU seconds) of ``repeat`` runs of ``func``.

    The kernel's share (system CPU) is mostly page faults of fresh memory: it swings with the
    machine's free huge pages, so the user-mode figure is reported beside it. The result is kept
    until the clock stops: freeing it is its caller's business (the city's 8 M-row table: ~0.13 s)."""
    walls, cpus, users = [], [], []
    for _ in range(repeat):
        t, c, u = time.perf_counter(), _cpu_s(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
        result = func()
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu_s() - c)
        users.append(resource.getrusage(resource.RUSAGE_SELF).ru_utime - u)
        del result
    return min(walls), min(cpus), min(users)


def step_assign(scale: float, *, repeat: int) -> dict:
    import numpy as np
    import shapely

    from geo import schema as s
    from geo.assign import assign_points

    micro, households = _micro_and_households(scale)
    pts, polys = np.asarray(households.geometry.values), np.asarray(micro.geometry.values)
    floors = {"tree on grids": lambda: shapely.STRtree(polys).query(pts, predicate="intersects"),
              "tree on points": lambda: shapely.STRtree(pts).query(polys, predicate="intersects")}
    timed = {"tree on points": _best_of(floors["tree on points"], 1)}
    res = assign_points(households, micro, id_col=s.CODE, max_distance_m=5000)
    runs = {"floor": [], "assign": []}
    for _ in range(repeat):  # alternated: on a shared machine both see the same load
        runs["floor"].append(_best_of(floors["tree on grids"], 1))
        runs["assign"].append(_best_of(lambda: assign_points(households, micro, id_col=s.CODE,
                                                             max_distance_m=5000), 1))
    timed["tree on grids"] = tuple(min(col) for col in zip(*runs["floor"]))
    sec, cpu, user = (min(col) for col in zip(*runs["assign"]))
    floor = min(timed.values())
    return {"seconds": sec, "cpu_s": cpu, "user_s": user, "floor": floor[0], "floor_cpu_s": floor[1],
            "floor_user_s": floor[2],
            "floors": {k: v[0] for k, v in timed.items()}, "points": len(households), "grids": len(micro),
            "ties": int(res["tie"].sum()), "repeat": repeat, "peak_mb": _peak_mb()}


# Worker processes with glibc's own malloc settings, like the one process they are compared with. A
# dask nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also turns off glibc's adaptive mmap
# threshold: every array over 128 kB is then a fresh mmap, page-faulted in and unmapped again (city,
# 2 workers: 450 k page faults and ~1 CPU-s of kernel time per run, against 45 k without; measured here).
WORKER_MALLOC = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def step_dask(scale: float, *, workers: int, processes: bool, repeat: int) -> dict:
    """One process (read the per-town files + ``point_grids_table``) vs the same on a LocalCluster of
    ``workers`` single-threaded workers (warmed up first, like the one process), best of ``repeat``; the
    CPU seconds of the parent and the workers, and the round trip of as many empty tasks (overhead)."""
    import dask
    from distributed import Client, LocalCluster

    from geo import schema as s
    from geo.citygen import household_files
    from geo.distributed import point_grids_table_dask

    micro, _ = _micro_and_households(scale)  # warms the cache; households are re-read below, timed
    files = household_files(scale=scale)
    one = partial(_one_job, micro, files)

    with dask.config.set(WORKER_MALLOC), LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                                      dashboard_address=None) as cluster, Client(cluster) as client:
        def run() -> pd.DataFrame:
            return point_grids_table_dask({s.GRIDS: micro, s.HOUSEHOLDS: files}, scheduler=client,
                                          layers=(s.HOUSEHOLDS,))

        same = run().equals(one())  # warm-up (imports, PROJ database in each worker) and the check
        best = (float("inf"), 0.0, 0.0)
        ones = []
        for _ in range(repeat):  # one process and Dask alternated: on a shared machine both see the same load
            ones.append(_best_of(one, 1))
            w0 = client.run(_cpu_s)
            t, c = time.perf_counter(), _cpu_s()
            table = run()
            wall, parent = time.perf_counter() - t, _cpu_s() - c
            del table  # kept until the clock stops, as in _best_of
            w1 = client.run(_cpu_s)
            if wall < best[0]:
                best = (wall, parent, sum(w1[k] - w0[k] for k in w0) if processes else 0.0)
        one_s, one_cpu = min(w for w, _, _ in ones), min(c for _, c, _ in ones)
        n_tasks = _n_tasks(files, threads=workers)
        t, c = time.perf_counter(), _cpu_s()
        client.gather(client.compute([dask.delayed(_noop)(i) for i in range(n_tasks)]))
        empty = (time.perf_counter() - t, _cpu_s() - c)
        worker_mb = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0).values())
        ceiling = _machine_ceiling(client, scale, repeat=repeat) if processes else None
    return {"ceiling": ceiling, "seconds": best[0], "one_process": one_s, "one_cpu_s": one_cpu, "parent_cpu_s": best[1],
            "workers_cpu_s": best[2], "tasks": n_tasks, "empty_tasks_s": empty[0], "same": bool(same),
            "workers": workers, "processes": processes, "cores": os.cpu_count(), "peak_mb": _peak_mb(),
            "worker_peak_mb": worker_mb, "partitions": len(files), "repeat": repeat}


def _one_job(micro, files: list[Path]) -> pd.DataFrame:
    """The one-process job: the per-town household files read with the reader the Dask tasks use (the
    columns ``point_grids_table`` needs: ids and geometry), then ``point_grids_table`` on the micro-grids;
    under ``geo.assign.bulk_work`` until the points are gone, as in a Dask task (``_place_part``)."""
    from geo.assign import bulk_work

    with bulk_work():
        return _read_and_place(micro, files)


def _read_and_place(micro, files: list[Path]) -> pd.DataFrame:
    from geo import schema as s
    from geo.assign import POINT_LAYERS, point_grids_table
    from geo.distributed import read_point_files

    households = read_point_files(files, columns=[POINT_LAYERS[s.HOUSEHOLDS]])
    return point_grids_table({s.GRIDS: micro, s.HOUSEHOLDS: households}, layers=(s.HOUSEHOLDS,))


_WORKER_JOB: dict[str, Callable[[], object]] = {}  # in each worker: the one-process job, ready to run


def _prepare_job(scale: float) -> None:
    from geo.citygen import household_files

    _WORKER_JOB["job"] = partial(_one_job, _micro(scale), household_files(scale=scale))
    _WORKER_JOB["job"]()  # warm, like the one process


def _forget_job() -> None:
    _WORKER_JOB.clear()


def _timed_job() -> float:
    t = time.perf_counter()
    table = _WORKER_JOB["job"]()
    wall = time.perf_counter() - t
    del table  # kept until the clock stops, as in _best_of
    return wall


def _machine_ceiling(client, scale: float, *, repeat: int) -> dict:
    """What 2 workers could give at best on this machine: the whole one-process job run in every worker at
    once against one worker alone (best of ``repeat``, alternated). With no overhead at all, Dask's speed-up
    is ``workers x alone / at once``: below ``workers`` when the cores slow each other down (shared caches,
    memory, a virtual machine's host)."""
    from bench import city  # by reference, with its module state in the worker (run as __main__, by value)

    client.run(city._prepare_job, scale)
    first = sorted(client.scheduler_info()["workers"])[:1]
    alone, together = [], []
    for _ in range(repeat):
        alone.extend(client.run(city._timed_job, workers=first).values())
        together.append(max(client.run(city._timed_job).values()))
    client.run(city._forget_job)
    workers = len(client.scheduler_info()["workers"])
    return {"alone": min(alone), "together": min(together), "ratio": workers * min(alone) / min(together)}


def _noop(i: int) -> int:
    return i


def _n_tasks(files: list[Path], *, threads: int) -> int:
    from geo.distributed import file_groups

    return len(file_groups(files, threads=threads))


def step_coverage(scale: float) -> dict:
    from geo import schema as s
    from geo.citygen import load_city_project
    from geo.coverage import service_reach

    project = load_city_project(scale=scale)
    t = time.perf_counter()
    table = service_reach(project, radii_m=[300, 500, 1000], categories=list(s.CATEGORIES))
    return {"seconds": time.perf_counter() - t, "rows": len(table), "peak_mb": _peak_mb()}


# --- the store, the map and staffing on the city -------------------------------------------------

def _city_file(scale: float) -> Path:
    """The city as a GeoPackage project, written once beside the cache. Households are left out (8 M
    points): neither the city view nor a community edit reads them."""
    from geo.citygen import build_city, load_city_project
    from geo.project import save_project

    path = build_city(scale=scale) / "city.gpkg"
    if not path.exists():
        save_project(load_city_project(scale=scale, households=False), path)
    return path


def _one_community_edit(store) -> tuple[object, float]:
    """Load one community (partial read), rename one of its grids, save: (project, seconds of the save)."""
    from geo import schema as s

    towns = store.read_layer(s.COMMUNITIES, columns=[s.CODE])
    project = store.load(community=str(towns[s.CODE].iloc[len(towns) // 2]))
    grids = project.layer(s.GRIDS).copy()
    grids.loc[grids.index[0], s.NAME] = f"{grids[s.NAME].iloc[0]}（改）"
    edited = project.with_layer(s.GRIDS, grids)
    t = time.perf_counter()
    store.save(edited, expected_revision=project.revision)
    return edited, time.perf_counter() - t


def measure_open_city_view(scale: float) -> dict | None:
    """Open the city project from its store and build the city view: the towns layer read, simplified
    (``geo.lod.view_layers``) and serialised as the GeoJSON the map receives. The app itself still
    loads the whole project first (reported beside it)."""
    from geo.explore import Selection
    from geo.lod import view_layers
    from geo import schema as s
    from geo.store import open_store

    path = _city_file(scale)
    t = time.perf_counter()
    store = open_store(path)
    project = store.load(layers=[s.TOWNS])
    payload = sum(len(g.to_json().encode("utf-8")) for g in view_layers(project, Selection()).values())
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    store.load()
    whole = time.perf_counter() - t
    return {"seconds": seconds, "note": f"payload {payload / 1e6:.2f} MB (target < 3 MB); whole project load "
                                        f"{whole:.1f} s (what the app still does first)", "peak_mb": _peak_mb()}


def measure_edit_saved_gpkg(scale: float) -> dict | None:
    """One edit (a grid renamed in one community, partial load) saved to the GeoPackage store."""
    from geo.store import open_store

    path = _city_file(scale)
    _, seconds = _one_community_edit(open_store(path))
    return {"seconds": seconds, "note": f"file {path.stat().st_size / 1e6:,.0f} MB (households not in it)",
            "peak_mb": _peak_mb()}


def measure_edit_saved_postgis(scale: float) -> dict | None:
    """The same edit saved to PostGIS (the city copied into a throwaway cluster's database first)."""
    from geo.store import open_store

    try:
        from tests.postgres import new_database_url

        url = new_database_url("city") + "?project=city"
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: the row says why
        return {"seconds": None, "note": f"no PostgreSQL: {exc}"}
    t = time.perf_counter()
    open_store(url).save(open_store(_city_file(scale)).load())
    copy_s = time.perf_counter() - t
    _, seconds = _one_community_edit(open_store(url))
    return {"seconds": seconds, "note": f"copy of the city into PostGIS {copy_s:.0f} s", "peak_mb": _peak_mb()}


def measure_staffing(scale: float) -> dict | None:
    """Staffing 500 k volunteers x 140 k grids (scaled), exact, same-community rule on (``bench.assign``)."""
    import numpy as np

    from bench.assign import bench_city_staffing

    n_vol, n_grid = int(500_000 * scale), int(140_000 * scale)
    row = bench_city_staffing(n_vol, n_grid, rng=np.random.default_rng(7), same_community_only=True)[0]
    return {"seconds": row["seconds"], "note": row["task"], "peak_mb": row["peak_mb"]}


HOOKS: dict[str, tuple[str, Callable[[float], dict | None], float]] = {
    "open_view": ("open the city project + show the city view", measure_open_city_view, TARGETS["open_view_s"]),
    "edit_gpkg": ("one edit saved (GeoPackage)", measure_edit_saved_gpkg, TARGETS["edit_gpkg_s"]),
    "edit_postgis": ("one edit saved (PostGIS)", measure_edit_saved_postgis, TARGETS["edit_postgis_s"]),
    "staffing": ("staffing 500k volunteers x 140k grids, exact", measure_staffing, TARGETS["staffing_s"]),
}


# --- the table ---------------------------------------------------------------------------------------

# glibc keeping freed memory for the process's next arrays instead of handing it back to the kernel: arrays up to
# 32 MB from the heap, the heap never trimmed. Then neither the floor nor assign_points pays page faults of fresh
# memory again on every run (the kernel's share of assign_points: 0.12-0.24 s under geo.assign.bulk_work, which
# asks for no huge pages; 0.4-0.6 s with numpy's huge-page advice, measured 2026-12-04).
KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(4 << 30),
                     "MALLOC_TOP_PAD_": str(512 << 20)}


def _run_step(name: str, scale: float, extra: list[str], *, env: dict[str, str] | None = None) -> dict:
    """Run one step in a fresh interpreter (``env`` added to its environment); its JSON result (or the error)."""
    cmd = [sys.executable, "-m", "bench.city", "--step", name, "--scale", f"{scale:g}", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def _fmt_mb(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _verdict(ratio: float | None, target: float, *, at_least: bool) -> str:
    """"met" / "NOT MET" for a ratio against its target ("" when not measured)."""
    if ratio is None:
        return ""
    return "met" if (ratio >= target if at_least else ratio <= target) else "NOT MET"


def _assign_rows(a: dict) -> list[dict]:
    ok = "error" not in a
    ratio = a["seconds"] / a["floor"] if ok else None
    cpu_ratio = a["cpu_s"] / a["floor_cpu_s"] if ok else None
    return [{"task": f"households {a.get('points', 0):,} -> micro-grids {a.get('grids', 0):,}: bare STRtree floor "
                     "(tree on grids, query points, intersects)", "seconds": a.get("floor"),
             "ratio": 1.0 if ok else None, "target": "", "verdict": "", "peak_mb": "",
             "note": f"best of {a['repeat']}; CPU {a['floor_cpu_s']:.2f} s" if ok else a.get("error", "")},
            {"task": "  assign_points, one process (tie rule, nearest fallback)", "seconds": a.get("seconds"),
             "ratio": ratio, "target": f"<= {TARGETS['assign_floor']}",
             "verdict": _verdict(ratio, TARGETS["assign_floor"], at_least=False), "peak_mb": _fmt_mb(a.get("peak_mb")),
             "note": f"{a['ties']:,} ties; CPU {a['cpu_s']:.2f} s = {cpu_ratio:.2f} x the floor's CPU, user-mode "
                     f"{a['user_s'] / a['floor_user_s']:.2f} x" if ok else ""}]


def _dask_rows(d: dict, *, processes: bool) -> list[dict]:
    ok = "error" not in d
    kind = "processes" if processes else "threads in one process"
    ratio = d["one_process"] / d["seconds"] if ok else None
    rows = []
    if ok:
        rows.append({"task": f"  same, point_grids_table from the {d['partitions']} per-town files: one process",
                     "seconds": d["one_process"], "ratio": None, "target": "", "verdict": "", "peak_mb": "",
                     "note": f"best of {d['repeat']}; CPU {d['one_cpu_s']:.2f} s"})
    workers_cpu = ""
    if ok and processes:  # what the CPU seconds allow on an idle machine, the parent's share counted as serial
        bound = d["one_cpu_s"] / (d["parent_cpu_s"] + d["workers_cpu_s"] / d["workers"])
        workers_cpu = f", workers {d['workers_cpu_s']:.2f} s (idle-machine estimate {bound:.2f} x)"
    rows.append({"task": f"  same on Dask: {d.get('workers', 2)} workers ({kind}), {d.get('tasks', 0)} tasks "
                         f"(towns grouped)", "seconds": d.get("seconds"), "ratio": ratio,
                 "target": f">= {TARGETS['dask_speedup']} faster",
                 "verdict": _verdict(ratio, TARGETS["dask_speedup"], at_least=True), "peak_mb": _fmt_mb(d.get("peak_mb")),
                 "note": (f"{d['cores']} cores; CPU: parent {d['parent_cpu_s']:.2f} s{workers_cpu}; "
                          f"{d['tasks']} empty tasks {d['empty_tasks_s']:.2f} s; worker peak "
                          f"{_fmt_mb(d['worker_peak_mb'])} MB; {'same table' if d['same'] else 'TABLES DIFFER'}")
                 if ok else d.get("error", "")})
    ceiling = d.get("ceiling") if ok else None
    if ceiling:
        share = f"; Dask reached {ratio / ceiling['ratio']:.0%} of it" if ratio else ""
        rows.append({"task": f"  the machine's ceiling: the one-process job in each of the {d['workers']} workers at once",
                     "seconds": ceiling["together"], "ratio": ceiling["ratio"], "target": "", "verdict": "",
                     "peak_mb": "", "note": f"{d['workers']} x alone ({ceiling['alone']:.2f} s) / at once: the best "
                                            f"speed-up with no overhead on these cores{share}"})
    return rows


def build_rows(scale: float, *, regenerate: bool, steps: list[str], repeat: int = 2) -> list[dict]:
    """Measure ``steps`` (generate, assign, dask, dask_threads, coverage, hooks) into table rows."""
    rows: list[dict] = []
    if "generate" in steps:
        g = _run_step("generate", scale, ["--regenerate"] if regenerate else [])
        c = g.get("counts", {})
        rows.append({"task": f"generate the city ({c.get('micro_grids', 0):,} micro / {c.get('general_grids', 0):,} "
                             f"general grids, {c.get('households', 0):,} households, {c.get('volunteers', 0):,} "
                             f"volunteers){'' if g.get('fresh') else ' [cached build]'}",
                     "seconds": g.get("seconds"), "ratio": None, "target": "", "verdict": "",
                     "peak_mb": _fmt_mb(g.get("peak_mb")), "note": f"{g.get('bytes', 0) / 1e6:,.1f} MB GeoParquet"
                     if "bytes" in g else g.get("error", "")})
    if "assign" in steps:
        rows.extend(_assign_rows(_run_step("assign", scale, ["--repeat", str(repeat)])))
        kept = _run_step("assign", scale, ["--repeat", str(repeat)], env=KEEP_FREED_MEMORY)
        ok = "error" not in kept
        rows.append({"task": "  same, both with glibc keeping freed memory (KEEP_FREED_MEMORY): no page faults of "
                             "fresh memory on every run", "seconds": kept.get("seconds"),
                     "ratio": kept["seconds"] / kept["floor"] if ok else None, "target": "", "verdict": "",
                     "peak_mb": _fmt_mb(kept.get("peak_mb")),
                     "note": f"floor {kept['floor']:.2f} s; CPU {kept['cpu_s'] / kept['floor_cpu_s']:.2f} x the "
                             "floor's" if ok else kept.get("error", "")})
    for name, processes in (("dask", True), ("dask_threads", False)):
        if name in steps:
            rows.extend(_dask_rows(_run_step(name, scale, ["--repeat", str(repeat)]), processes=processes))
    if "coverage" in steps:
        c = _run_step("coverage", scale, [])
        rows.append({"task": "coverage 3 radii x 4 categories (area + households share), one process",
                     "seconds": c.get("seconds"), "ratio": c["seconds"] / TARGETS["coverage_s"] if "seconds" in c
                     else None, "target": f"< {TARGETS['coverage_s']:.0f} s", "peak_mb": _fmt_mb(c.get("peak_mb")),
                     "verdict": _verdict(c["seconds"] / TARGETS["coverage_s"] if "seconds" in c else None, 1.0,
                                         at_least=False),
                     "note": f"{c.get('rows', 0):,} rows" if "rows" in c else c.get("error", "")})
    if "hooks" in steps:
        for label, func, target in HOOKS.values():
            got = func(scale)
            seconds = None if got is None else got["seconds"]
            rows.append({"task": label, "seconds": seconds,
                         "ratio": None if seconds is None else seconds / target, "target": f"< {target:g} s",
                         "verdict": _verdict(None if seconds is None else seconds / target, 1.0, at_least=False),
                         "peak_mb": "" if got is None else _fmt_mb(got.get("peak_mb")),
                         "note": NOT_MEASURED if got is None else got.get("note", "")})
    return [r for r in rows if r["task"]]


def _print(rows: list[dict], scale: float) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"bench.city at scale {scale:g} ({os.cpu_count()} cores, load average {load}); ratio: assign rows = "
          "time / bare STRtree floor, Dask rows = one process / Dask (speed-up), coverage and hook rows = "
          "time / target; peak_mb = the step's own process (ru_maxrss)")
    df = pd.DataFrame(rows)
    df["seconds"] = [NOT_MEASURED if v is None or pd.isna(v) else f"{v:.2f}" for v in df["seconds"]]
    df["ratio"] = ["" if v is None or pd.isna(v) else f"{v:.2f}" for v in df["ratio"]]
    df = df[["task", "seconds", "ratio", "target", "verdict", "peak_mb", "note"]]
    with pd.option_context("display.max_colwidth", 120, "display.width", 250):
        print(df.to_string(index=False))


STEPS = ("generate", "assign", "dask", "dask_threads", "coverage", "hooks")


def main(argv: list[str] | None = None) -> None:
    """Print the bench.city table (or run one ``--step`` and print its JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.city")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = Chengdu size; 0.1 for a quick run")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the city cache and time it")
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps: " + ",".join(STEPS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="assign and Dask rows: best of this many runs")
    parser.add_argument("--step", choices=STEPS[:-1], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        runners = {"generate": lambda: step_generate(args.scale, regenerate=args.regenerate),
                   "assign": lambda: step_assign(args.scale, repeat=args.repeat),
                   "dask": lambda: step_dask(args.scale, workers=args.workers, processes=True, repeat=args.repeat),
                   "dask_threads": lambda: step_dask(args.scale, workers=args.workers, processes=False,
                                                     repeat=args.repeat),
                   "coverage": lambda: step_coverage(args.scale)}
        print(json.dumps(runners[args.step]()))
        return
    if not Path("geo").is_dir():
        msg = "run from the repository root"
        raise SystemExit(msg)
    steps = [x.strip() for x in args.only.split(",") if x.strip()]
    _print(build_rows(args.scale, regenerate=args.regenerate, steps=steps, repeat=args.repeat), args.scale)


if __name__ == "__main__":
    main()
