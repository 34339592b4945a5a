"""Safe persistence: a save killed at any moment leaves the previous or the new complete file."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.history import clean_stale_temp_files
from geo.project import load_project, save_project
from tests.factories import tiny_project

ROOT = Path(__file__).resolve().parents[1]

# The child loads the project once, then adds one assignment per save through save_edits
# and prints the number of saves finished. Assignments and audit rows must always match.
CHILD = textwrap.dedent("""
    import sys
    from geo import schema as s
    from geo.edits import add_volunteer
    from geo.history import save_edits
    from geo.project import load_project
    path = sys.argv[1]
    project = load_project(path)
    vols = project.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID].tolist()
    grid = project.layer(s.GRIDS)[s.CODE].iloc[0]
    n = len(project.table(s.ASSIGNMENTS))
    while True:
        edit = add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=vols[n], grid_code=grid, user="kill")
        project = save_edits(path, project, [edit.record]).project
        n += 1
        print(n, flush=True)
""")


def _large_project(n_grids: int, n_vols: int):
    """The tiny project plus many square grids and volunteers (a save takes a noticeable time)."""
    rng = np.random.default_rng(7)
    project = tiny_project()
    side = int(np.ceil(np.sqrt(n_grids)))
    boxes = [shapely.box(104.0 + i % side * 0.001, 30.5 + i // side * 0.001, 104.001 + i % side * 0.001,
                         30.501 + i // side * 0.001) for i in range(n_grids)]
    grids = gpd.GeoDataFrame({s.CODE: [f"G{i:05d}" for i in range(n_grids)], s.NAME: "网格",
                              s.LEVEL: s.LEVEL_GENERAL}, geometry=boxes, crs=s.STORAGE_CRS)
    pts = shapely.points(104 + rng.random(n_vols) * 0.1, 30.5 + rng.random(n_vols) * 0.1)
    vols = gpd.GeoDataFrame({s.VOLUNTEER_ID: [f"X{i:05d}" for i in range(n_vols)], s.NAME: "某某",
                             s.CAPACITY: 1}, geometry=pts, crs=s.STORAGE_CRS)
    project = project.with_layer(s.GRIDS, grids).with_layer(s.VOLUNTEERS, vols)
    return project.with_table(s.ASSIGNMENTS, pd.DataFrame({c: pd.Series(dtype=object)
                                                          for c in s.ASSIGNMENT_COLUMNS}))


def _check_file(path: Path, printed: int) -> int:
    project = load_project(path)  # never a broken file
    n = len(project.table(s.ASSIGNMENTS))
    assert n in (printed, printed + 1), (n, printed)  # the last finished save, or the one just done
    audit = project.table(s.AUDIT)
    assert (audit["action"] != "save").sum() == n  # edit rows land in the same atomic save
    assert (audit["action"] == "save").sum() == project.revision == n + 1  # and each save's own row
    return n


def _kill_saves(path: Path, *, iterations: int, seed: int, delay_s: tuple[float, float]) -> list[int]:
    """Start the saving child, SIGKILL it after a seeded random delay, check the file; repeat."""
    rng = random.Random(seed)
    counts = []
    for _ in range(iterations):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        time.sleep(rng.uniform(*delay_s))  # the child needs ~2-3 s to import and load before saving
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        printed = int(out.split()[-1]) if out.split() else _count(path)
        counts.append(_check_file(path, printed))
    return counts


def _count(path: Path) -> int:
    return len(load_project(path).table(s.ASSIGNMENTS))


@pytest.mark.slow
def test_save_killed__tiny_project_always_readable(tmp_path):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project(), path)
    counts = _kill_saves(path, iterations=3, seed=1, delay_s=(1.0, 4.0))
    assert counts == sorted(counts)  # never lost a finished save


@pytest.mark.slow
def test_save_killed__large_project_at_random_points(tmp_path):
    path = tmp_path / "large.gpkg"
    save_project(_large_project(3000, 2000), path)
    counts = _kill_saves(path, iterations=6, seed=20240501, delay_s=(2.5, 8.0))
    assert counts == sorted(counts)
    assert counts[-1] > 0  # some saves did complete between kills


def test_clean_stale_temp_files__removes_only_old_leftovers(tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    old = tmp_path / ".p.abc.tmp.gpkg"
    fresh = tmp_path / ".p.def.tmp.gpkg"
    for f in (old, fresh):
        f.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert clean_stale_temp_files(path) == [old]
    assert fresh.exists() and load_project(path).revision == 1
