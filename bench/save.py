"""Benchmark: one edit saved on the demo, whole-file rewrite vs the store (run: .venv/bin/python -m bench.save).

Copies ``build/demo.gpkg`` (``python -m cli demo --out build/demo.gpkg``) to a temporary
folder, loads it, replaces one volunteer in one grid the way the edit page does
(``geo.edits.replace_volunteer`` + ``geo.history.save_edits``) and times:

- *before*: the pre-store writer (``geo.store.gpkg.write_whole_file``: every layer and table
  into a new file, what each save cost before the store), plus fsync and ``os.replace``;
- *after*: ``save_edits`` through the GeoPackage store (only the changed rows, one transaction),
  first save of a legacy file excluded (it is written whole once), median of ``REPEATS`` edits.

Prints wall and CPU seconds (CPU is what a busy shared machine does not inflate), the file size
and the ratio; the target is < 0.2 s (wall) per edit on the demo.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import schema as s  # noqa: E402
from geo.edits import replace_volunteer  # noqa: E402
from geo.history import save_edits  # noqa: E402
from geo.project import Project, load_project, save_project  # noqa: E402
from geo.store.gpkg import write_whole_file  # noqa: E402

DEMO = Path("build/demo.gpkg")
REPEATS = 5
TARGET_S = 0.2


def one_edit(project: Project, k: int) -> list:
    """One replace-volunteer edit record on the ``k``-th assignment (a volunteer not yet in that grid)."""
    assignments = project.table(s.ASSIGNMENTS)
    row = assignments.iloc[k % len(assignments)]
    serving = set(assignments.loc[assignments[s.GRID_CODE] == row[s.GRID_CODE], s.VOLUNTEER_ID].astype(str))
    free = [v for v in project.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID].astype(str) if v not in serving]
    edit = replace_volunteer(assignments, grid_code=str(row[s.GRID_CODE]), old_id=str(row[s.VOLUNTEER_ID]),
                             new_id=free[k % len(free)], user="bench", scenario=str(row[s.SCENARIO] or s.DEFAULT_SCENARIO))
    return [edit.record]


def time_whole_file(project: Project, folder: Path) -> float:
    """Seconds to write ``project`` whole into a new file and move it into place (the old save)."""
    target = folder / "whole.gpkg"
    tmp = folder / ".whole.tmp.gpkg"
    t0 = time.perf_counter()
    write_whole_file(project, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return time.perf_counter() - t0


def main() -> None:
    """Time one edit saved before (whole file) and after (the store); print a table."""
    if not DEMO.exists():
        print(f"{DEMO} is missing: run python -m cli demo --out {DEMO}")
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "demo.gpkg"
        shutil.copy(DEMO, path)
        t0 = time.perf_counter()
        project = load_project(path)
        load_s = time.perf_counter() - t0
        edited = save_edits(path, project, one_edit(project, 0)).project  # legacy file: written whole once
        c0 = time.process_time()
        before_s = time_whole_file(edited, folder)
        before_cpu = time.process_time() - c0
        times, cpu = [], []
        for k in range(1, REPEATS + 1):
            records = one_edit(edited, k * 97)
            t0, c0 = time.perf_counter(), time.process_time()
            edited = save_edits(path, edited, records).project
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        after_s = statistics.median(times)
        t0 = time.perf_counter()
        reloaded = load_project(path)
        reload_s = time.perf_counter() - t0
        assert reloaded.revision == edited.revision and len(reloaded.table(s.ASSIGNMENTS)) == len(
            edited.table(s.ASSIGNMENTS))
        save_project(reloaded, path, expected_revision=reloaded.revision)  # an unchanged save
        size_mb = path.stat().st_size / 1e6
        whole_mb = (folder / "whole.gpkg").stat().st_size / 1e6
    print(f"demo: {len(project.layer(s.GRIDS))} grids, {len(project.table(s.ASSIGNMENTS))} assignments, "
          f"{len(project.table(s.POINT_GRIDS))} point-grid rows; load {load_s:.2f} s, reload {reload_s:.2f} s")
    print(f"{'case':40s} {'seconds':>8s} {'cpu s':>7s} {'MB':>7s} {'vs before':>10s}")
    print(f"{'before: whole-file rewrite':40s} {before_s:8.2f} {before_cpu:7.2f} {whole_mb:7.1f} {1.0:10.2f}")
    print(f"{'after: store, one edit (median of 5)':40s} {after_s:8.3f} {statistics.median(cpu):7.3f} "
          f"{size_mb:7.1f} {after_s / before_s:10.3f}")
    print(f"target < {TARGET_S} s per edit: {'met' if after_s < TARGET_S else 'NOT met'} "
          f"(edits: {', '.join(f'{t:.3f}' for t in times)} s)")
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
