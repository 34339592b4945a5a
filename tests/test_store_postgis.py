"""The PostGIS store beyond the shared contract: indexes, passwords, concurrent editors, kill -9.

Every test runs on a fresh database of the throwaway cluster (tests/postgres.py), on the 锦澜市
field kit project (tests/fieldkit.py).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from geo import schema as s
from geo.errors import ConflictError
from geo.messages import error_text
from geo.store import open_store
from geo.store.postgis import PostGISStore, diff_rows, row_hashes, split_location
from tests.fieldkit import fieldkit_project
from tests.app_login import signed_in

pytestmark = pytest.mark.database
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kit():
    """The field kit with its 32 general grids (micro-grids under them)."""
    return fieldkit_project(general_grids=True)


@pytest.fixture
def kit_url(kit, request):
    """A database holding the field kit project, saved once."""
    from tests.postgres import new_database_url

    url = new_database_url(request.node.name) + "?project=kit"
    PostGISStore(url).save(kit)
    return url


def _connect(url: str):
    import psycopg

    return psycopg.connect(split_location(url)[0])


def _two_communities(project) -> tuple[str, str]:
    comms = project.layer(s.GRIDS)[s.COMMUNITY_CODE].dropna().unique()
    return str(comms[0]), str(comms[1])


def _rename_grid(project, code: str, name: str):
    grids = project.layer(s.GRIDS).copy()
    grids.loc[grids[s.CODE] == code, s.NAME] = name
    return project.with_layer(s.GRIDS, grids)


# --- the row diff (pure) ---------------------------------------------------------------------

def test_diff_rows__edited_row_is_one_deleted_and_one_new():
    before = np.array([1, 2, 3, 3], dtype=np.int64)
    after = np.array([1, 9, 3, 3], dtype=np.int64)
    diff = diff_rows(before=before, after=after)
    assert diff.kept.tolist() == [0, -1, 2, 3]
    assert diff.deleted.tolist() == [1]
    assert diff.inserted.tolist() == [1]


def test_row_hashes__same_after_a_round_trip_through_the_store(kit_url, kit):
    loaded = open_store(kit_url).load()
    for name in kit.layers:
        assert (row_hashes(loaded.layer(name)) == row_hashes(kit.layer(name))).all(), name


# --- location -------------------------------------------------------------------------------

def test_location__never_contains_the_password():
    from tests.postgres import PLANNER_PASSWORD, PLANNER_USER, cluster

    c = cluster()
    url = c.url(c.new_database("pw"), user=PLANNER_USER, password=PLANNER_PASSWORD) + "?project=kit&sslmode=disable"
    store = open_store(url)
    assert PLANNER_PASSWORD not in store.location
    assert PLANNER_USER in store.location and "sslmode=disable" in store.location
    saved = store.save(fieldkit_project(volunteers=10))
    assert PLANNER_PASSWORD not in repr(store)
    assert PLANNER_PASSWORD not in str(saved.table(s.AUDIT).to_dict())
    with pytest.raises(Exception) as info:  # a wrong password: the error names the place, not the password
        open_store(url.replace(PLANNER_PASSWORD, "wrong-" + PLANNER_PASSWORD)).revision()
    assert PLANNER_PASSWORD not in str(info.value) and "wrong-" not in error_text(info.value, "en")
    assert getattr(info.value, "code", "") == "postgis.connect_failed"


# --- reads use the indexes ----------------------------------------------------------------------

def test_read_layer__bbox_read_uses_the_gist_index(kit_url):
    store = open_store(kit_url)
    grids = store.read_layer(s.GRIDS)
    minx, miny, maxx, maxy = grids.total_bounds
    bbox = (minx, miny, minx + (maxx - minx) / 10, miny + (maxy - miny) / 10)
    part = store.read_layer(s.GRIDS, bbox=bbox, columns=[s.CODE, s.NAME])
    assert 0 < len(part) < len(grids)
    assert list(part.columns) == [s.CODE, s.NAME, "geometry"]
    with _connect(kit_url) as conn:
        conn.execute("SET enable_seqscan = off")  # a table of 244 rows: show the index is usable and used
        plan = "\n".join(r[0] for r in conn.execute(
            'EXPLAIN SELECT code FROM kit.grids WHERE geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326)',
            bbox).fetchall())
    assert "grids_geometry_idx" in plan, plan


def test_load__one_community_reads_only_its_rows(kit_url, kit):
    community = _two_communities(kit)[0]
    part = open_store(kit_url).load(community=community)
    tree_codes = set(kit.layer(s.GRIDS).loc[kit.layer(s.GRIDS)[s.COMMUNITY_CODE] == community, s.CODE])
    assert set(part.layer(s.GRIDS)[s.CODE]) == tree_codes
    assert part.layer(s.COMMUNITIES)[s.CODE].tolist() == [community]
    assert len(part.layer(s.HOUSEHOLDS)) < len(kit.layer(s.HOUSEHOLDS))


def test_save__after_partial_load_keeps_the_other_communities(kit_url, kit):
    community = _two_communities(kit)[0]
    store = open_store(kit_url)
    part = store.load(community=community)
    code = part.layer(s.GRIDS)[s.CODE].iloc[0]
    store.save(_rename_grid(part, code, "只改这一格"))
    full = store.load()
    assert len(full.layer(s.GRIDS)) == len(kit.layer(s.GRIDS))
    assert full.layer(s.GRIDS).set_index(s.CODE).loc[code, s.NAME] == "只改这一格"


# --- optimistic concurrency per unit ---------------------------------------------------------------

def test_save__two_planners_in_different_communities_both_succeed(kit_url, kit):
    a_comm, b_comm = _two_communities(kit)
    store = open_store(kit_url)
    a, b = store.load(), store.load()
    grids = kit.layer(s.GRIDS)
    a_code = grids.loc[grids[s.COMMUNITY_CODE] == a_comm, s.CODE].iloc[0]
    b_code = grids.loc[grids[s.COMMUNITY_CODE] == b_comm, s.CODE].iloc[0]
    store.save(_rename_grid(a, a_code, "甲改"))
    store.save(_rename_grid(b, b_code, "乙改"))
    names = store.load().layer(s.GRIDS).set_index(s.CODE)[s.NAME]
    assert (names[a_code], names[b_code]) == ("甲改", "乙改")


def test_save__same_grid_conflicts_naming_the_community(kit_url, kit):
    store = open_store(kit_url)
    a, b = store.load(), store.load()
    grids = kit.layer(s.GRIDS)
    code, community = grids[s.CODE].iloc[40], grids[s.COMMUNITY_CODE].iloc[40]
    store.save(_rename_grid(a, code, "甲改"))
    with pytest.raises(ConflictError) as info:
        store.save(_rename_grid(b, code, "乙改"))
    assert info.value.code == "save_conflict.units"
    assert info.value.context["unit_list"] == [f"community:{community}"]
    assert community in error_text(info.value, "zh") and "重新加载" in error_text(info.value, "zh")
    assert "Reload" in error_text(info.value, "en")
    assert store.load().layer(s.GRIDS).set_index(s.CODE).loc[code, s.NAME] == "甲改"


def test_save__returned_project_holds_the_other_planners_saves(kit_url, kit):
    a_comm, b_comm = _two_communities(kit)
    store = open_store(kit_url)
    a, b = store.load(), store.load()
    grids = kit.layer(s.GRIDS)
    a_code = grids.loc[grids[s.COMMUNITY_CODE] == a_comm, s.CODE].iloc[0]
    b_code = grids.loc[grids[s.COMMUNITY_CODE] == b_comm, s.CODE].iloc[0]
    store.save(_rename_grid(b, b_code, "乙一"))
    a = store.save(_rename_grid(a, a_code, "甲一"))  # B saved in between
    names = a.layer(s.GRIDS).set_index(s.CODE)[s.NAME]
    assert (names[a_code], names[b_code]) == ("甲一", "乙一")
    assert a.layer(s.GRIDS)[s.CODE].tolist() == kit.layer(s.GRIDS)[s.CODE].tolist()  # order kept
    a = store.save(_rename_grid(a, b_code, "甲改乙"))  # A has seen B's save: editing on top of it is fine
    assert store.load().layer(s.GRIDS).set_index(s.CODE).loc[b_code, s.NAME] == "甲改乙"


def test_save__one_edit_writes_two_rows_and_one_audit_row(kit_url, kit):
    store = open_store(kit_url)
    project = store.load()
    code = project.layer(s.GRIDS)[s.CODE].iloc[5]
    saved = store.save(_rename_grid(project, code, "一处修改"))
    with _connect(kit_url) as conn:
        rows = conn.execute("SELECT tbl, op FROM kit.ga_changes WHERE revision = %s ORDER BY tbl, op",
                            (saved.revision,)).fetchall()
    assert rows == [("audit", "i"), ("grids", "d"), ("grids", "i")]


# --- two editor processes ----------------------------------------------------------------------

EDITOR = textwrap.dedent("""
    import sys
    from geo import schema as s
    from geo.errors import ConflictError
    from geo.store import open_store
    url, codes, tag = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    store = open_store(url)
    conflicts = 0
    for i, code in enumerate(codes):
        while True:
            project = store.load()
            grids = project.layer(s.GRIDS).copy()
            grids.loc[grids[s.CODE] == code, s.NAME] = f"{tag}{i}"
            try:
                store.save(project.with_layer(s.GRIDS, grids), user=tag)
                break
            except ConflictError:
                conflicts += 1
    print(conflicts)
""")


@pytest.mark.slow
def test_two_editor_processes__twenty_edits_each_none_lost(kit_url, kit):
    grids = kit.layer(s.GRIDS)
    a_comm, b_comm = _two_communities(kit)
    a_codes = grids.loc[grids[s.COMMUNITY_CODE] == a_comm, s.CODE].head(20).tolist()
    b_codes = grids.loc[grids[s.COMMUNITY_CODE] == b_comm, s.CODE].head(20).tolist()
    assert len(a_codes) == len(b_codes) == 20
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", EDITOR, kit_url, ",".join(codes), tag], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for codes, tag in ((a_codes, "甲"), (b_codes, "乙"))]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    names = open_store(kit_url).load().layer(s.GRIDS).set_index(s.CODE)[s.NAME]
    assert [names[c] for c in a_codes] == [f"甲{i}" for i in range(20)]
    assert [names[c] for c in b_codes] == [f"乙{i}" for i in range(20)]
    assert [int(o[0].strip()) for o in outs] == [0, 0]  # different communities: never a conflict


# --- kill -9 mid-transaction -------------------------------------------------------------------

KILLED = textwrap.dedent("""
    import sys, time
    from geo import schema as s
    from geo.store import open_store
    import geo.store.postgis as pg
    url = sys.argv[1]
    store = open_store(url)
    project = store.load()
    grids = project.layer(s.GRIDS).copy()
    grids[s.NAME] = grids[s.NAME] + "·改"
    real = pg._Writer.check_and_stamp_units
    def slow(self):
        print("WRITTEN", flush=True)  # every row is written, the transaction is still open
        time.sleep(60)
        real(self)
    pg._Writer.check_and_stamp_units = slow
    store.save(project.with_layer(s.GRIDS, grids))
""")


def test_kill_9_mid_save__leaves_the_project_as_before(kit_url, kit):
    store = open_store(kit_url)
    before = store.load()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, kit_url], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip() == "WRITTEN", proc.stderr.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server notices the dead client and rolls back
        with _connect(kit_url) as conn:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                " AND state LIKE 'idle in transaction%%'").fetchone()[0]
        if not busy:
            break
        time.sleep(0.2)
    after = store.load()
    assert after.revision == before.revision
    assert after.layer(s.GRIDS)[s.NAME].tolist() == before.layer(s.GRIDS)[s.NAME].tolist()
    saved = store.save(_rename_grid(after, after.layer(s.GRIDS)[s.CODE].iloc[0], "之后"))  # no lock left behind
    assert saved.revision == before.revision + 1


# --- python -m cli store copy -------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cli", "--lang", "en", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_store_copy__gpkg_to_postgis_and_back_keeps_every_row(tmp_path, kit):
    from tests.postgres import new_database_url

    src = tmp_path / "kit.gpkg"
    open_store(src).save(kit)
    url = new_database_url("copy") + "?project=kit"
    there = _cli("store", "copy", str(src), url)
    assert there.returncode == 0, there.stderr
    back = tmp_path / "back.gpkg"
    home = _cli("store", "copy", url, str(back))
    assert home.returncode == 0, home.stderr
    original, copied = open_store(src).load(), open_store(back).load()
    for name in kit.layers:
        assert len(copied.layer(name)) == len(original.layer(name)), name
        assert sorted(row_hashes(copied.layer(name))) == sorted(row_hashes(original.layer(name))), name
    assert copied.settings == original.settings


@pytest.mark.slow
def test_store_copy__refuses_an_existing_project_unless_forced(tmp_path, kit_url):
    target = tmp_path / "kit.gpkg"
    assert _cli("store", "copy", kit_url, str(target)).returncode == 0
    again = _cli("store", "copy", kit_url, str(target))
    assert again.returncode == 2
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    into_db = _cli("store", "copy", str(target), kit_url)
    assert into_db.returncode == 2 and "already exists" in into_db.stderr
    forced = _cli("store", "copy", str(target), kit_url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert list(tmp_path.glob("kit.bak-*.gpkg")) == []  # the database was replaced, the file untouched
    assert _cli("store", "copy", kit_url, str(target), "--force").returncode == 0
    assert len(list(tmp_path.glob("kit.bak-*.gpkg"))) == 1  # the replaced file is kept as a backup


@pytest.mark.slow
def test_store_copy__same_place_and_bad_project_name_are_refused(kit_url):
    same = _cli("store", "copy", kit_url, kit_url)
    assert same.returncode == 2 and "same place" in same.stderr
    bad = _cli("store", "copy", kit_url, kit_url.replace("project=kit", "project=Bad-Name"))
    assert bad.returncode == 2 and "not valid" in bad.stderr


def test_save_edits__the_edit_page_saves_into_the_database(kit_url, tmp_path, monkeypatch):
    from geo.edits import add_volunteer
    from geo.history import save_edits

    monkeypatch.chdir(tmp_path)  # a URL taken for a path would leave a `postgresql:` folder here
    project = open_store(kit_url).load()
    grid = str(project.layer(s.GRIDS)[s.CODE].iloc[0])
    volunteer = str(project.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID].iloc[0])
    edit = add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=volunteer, grid_code=grid, user="t")
    outcome = save_edits(kit_url, project, [edit.record], user="t")
    stored = open_store(kit_url).load().table(s.ASSIGNMENTS)
    assert (volunteer, grid) in set(zip(stored[s.VOLUNTEER_ID], stored[s.GRID_CODE]))
    assert outcome.project.revision == open_store(kit_url).revision()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_app__explore_page_opens_a_project_on_the_server(kit_url):
    from streamlit.testing.v1 import AppTest

    from ui import state

    at = signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120))
    at.session_state[state.PROJECT_PATH] = kit_url
    at.run()
    assert not at.exception
    assert not at.error and not at.info  # no "project not found" and no error: the map is built
    assert at.get("component_instance")
