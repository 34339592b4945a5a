"""Benchmark: one edit saved on the demo in the PostGIS store (run: .venv/bin/python -m bench.save_postgis).

Copies ``build/demo.gpkg`` into a PostGIS database — ``$GRIDATLAS_BENCH_DB`` (a
``postgresql://…?project=…`` URL of an empty project) or, when unset, a database on a
throwaway cluster started like the tests' (``tests/postgres.py``; needs Debian's postgresql and
postgis) — loads it back and times the same edit as ``bench.save`` (one volunteer replaced in
one grid through ``geo.history.save_edits``), median of ``REPEATS``. Target < 0.2 s per edit.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.save import DEMO, REPEATS, TARGET_S, one_edit  # noqa: E402
from geo import schema as s  # noqa: E402
from geo.history import save_edits  # noqa: E402
from geo.store import open_store  # noqa: E402


def bench_url() -> str:
    """The database to benchmark in: ``$GRIDATLAS_BENCH_DB`` or a throwaway one."""
    if os.environ.get("GRIDATLAS_BENCH_DB"):
        return os.environ["GRIDATLAS_BENCH_DB"]
    from tests.postgres import new_database_url

    return new_database_url("bench") + "?project=demo"


def main() -> None:
    """Copy the demo in, time one edit saved; print a table."""
    if not DEMO.exists():
        print(f"{DEMO} is missing: run python -m cli demo --out {DEMO}")
        sys.exit(2)
    url = bench_url()
    store = open_store(url)
    t0 = time.perf_counter()
    store.save(open_store(DEMO).load())
    copy_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    project = store.load()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.load(community=str(project.layer(s.COMMUNITIES)[s.CODE].iloc[0]))
    community_s = time.perf_counter() - t0
    times, cpu = [], []
    for k in range(1, REPEATS + 1):
        records = one_edit(project, k * 97)
        t0, c0 = time.perf_counter(), time.process_time()
        project = save_edits(url, project, records).project
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    edit_s = statistics.median(times)
    assert store.revision() == project.revision
    print(f"PostGIS store at {store.location}")
    print(f"{'case':40s} {'seconds':>8s}")
    print(f"{'copy the demo in (store copy)':40s} {copy_s:8.2f}")
    print(f"{'load the whole project':40s} {load_s:8.2f}")
    print(f"{'load one community':40s} {community_s:8.2f}")
    print(f"{'one edit saved (median of 5)':40s} {edit_s:8.3f}")
    print(f"{'  of which CPU in this process':40s} {statistics.median(cpu):8.3f}")
    print(f"target < {TARGET_S} s per edit: {'met' if edit_s < TARGET_S else 'NOT met'} "
          f"(edits: {', '.join(f'{t:.3f}' for t in times)} s)")
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
