"""Every command's output path: no output clobbers a project, saves see through path aliases,
exit codes mean one thing, and killed saves leave no orphan behind."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyogrio
import pytest

import cli.main as cli_main
from cli.commands import assign as assign_cmd
from cli.main import main
from geo import schema as s
from geo.outputs import guard_output, is_project_file, keep_backup, same_file
from geo.project import load_project, read_revision, save_project
from tests import test_cli_import_check as import_check

ROOT = Path(__file__).resolve().parents[1]
files = import_check.files  # the planner's files (fixture)
_import_args = import_check._import_args


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project_file(tiny_project, tmp_path) -> Path:
    """The tiny project saved as ``p.gpkg``: the project a careless output path could hit."""
    path = tmp_path / "p.gpkg"
    save_project(tiny_project.with_settings(title="项目P"), path)
    return path


@pytest.fixture
def other_project(tiny_project, tmp_path) -> Path:
    """A second project ``b.gpkg`` holding a scenario of its own (what ``assign A --out B`` would destroy)."""
    path = tmp_path / "b.gpkg"
    project = tiny_project.with_settings(title="项目B").with_active_scenario("方案乙")
    save_project(project, path)
    return path


def _refused(argv: list[str], target: Path, capsys) -> str:
    """Run the CLI, assert exit 2 and ``target`` byte-for-byte unchanged; return stderr."""
    before = _digest(target)
    code = main(["--lang", "en", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert _digest(target) == before
    assert "Traceback" not in err
    return err


# --- the eight ways an output path met a project ------------------------------------------------
def test_import__out_onto_an_existing_project_is_refused_and_names_replace(files, project_file, capsys):
    err = _refused(_import_args(files, project_file), project_file, capsys)
    assert str(project_file) in err and "--replace" in err
    assert load_project(project_file).settings["title"] == "项目P"


def test_import__replace_rebuilds_the_project_and_keeps_a_backup_beside_it(files, project_file, capsys):
    before = _digest(project_file)
    assert main(["--lang", "en", *_import_args(files, project_file), "--replace"]) == 0
    out = capsys.readouterr().out
    backups = list(project_file.parent.glob("p.bak-*.gpkg"))
    assert len(backups) == 1 and _digest(backups[0]) == before and str(backups[0]) in out
    assert load_project(backups[0]).settings["title"] == "项目P"
    assert "title" not in load_project(project_file).settings  # rebuilt from the files


def test_import__report_onto_the_new_project_is_refused_before_anything_is_written(files, tmp_path, capsys):
    out = tmp_path / "new.gpkg"
    assert main(["--lang", "en", *_import_args(files, out), "--report", str(out)]) == 2
    assert "same file" in capsys.readouterr().err
    assert not out.exists()


def test_export__gpkg_onto_its_own_project_is_refused(project_file, capsys):
    err = _refused(["export", str(project_file), "--format", "gpkg", "--out", str(project_file)],
                   project_file, capsys)
    assert "is a GridAtlas project" in err
    assert is_project_file(project_file)


def test_export__xlsx_onto_another_project_is_refused(project_file, other_project, capsys):
    _refused(["export", str(project_file), "--format", "xlsx", "--out", str(other_project)], other_project,
             capsys)


def test_export__xlsx_onto_a_plain_existing_file_replaces_it(project_file, tmp_path, capsys):
    target = tmp_path / "old.xlsx"
    target.write_bytes(b"not a workbook")
    assert main(["export", str(project_file), "--format", "xlsx", "--out", str(target)]) == 0
    assert target.read_bytes()[:2] == b"PK"  # a real workbook now
    assert not list(tmp_path.glob(".old.*"))  # no temp file left


def test_print__onto_a_project_is_refused(project_file, other_project, capsys):
    _refused(["print", str(project_file), "--unit", "510184001", "--out", str(other_project)], other_project,
             capsys)


def test_coverage__no_save_csv_onto_its_project_is_refused(project_file, capsys):
    err = _refused(["coverage", str(project_file), "--no-save", "--csv", str(project_file)], project_file,
                   capsys)
    assert "coverage" in err


def test_check__report_onto_its_project_is_refused(project_file, capsys):
    _refused(["check", str(project_file), "--report", str(project_file)], project_file, capsys)


def test_check__report_onto_a_plain_existing_file_replaces_it(project_file, tmp_path, capsys):
    report = tmp_path / "report.csv"
    report.write_text("old", encoding="utf-8")
    assert main(["check", str(project_file), "--report", str(report)]) in (0, 1)
    assert report.read_text(encoding="utf-8-sig") != "old"


def test_assign__out_onto_another_project_is_refused_and_keeps_both(project_file, other_project, capsys):
    before = _digest(project_file)
    err = _refused(["assign", str(project_file), "--out", str(other_project)], other_project, capsys)
    assert "other scenarios" in err and str(project_file) in err
    assert _digest(project_file) == before
    assert load_project(other_project).active_scenario == "方案乙"


def test_autogrid__out_onto_another_project_is_refused(project_file, other_project, capsys):
    _refused(["autogrid", str(project_file), "--all", "--out", str(other_project)], other_project, capsys)


def test_demo__bare_onto_an_existing_project_is_refused_and_names_replace(project_file, capsys):
    err = _refused(["demo", "--bare", "--out", str(project_file)], project_file, capsys)
    assert "--replace" in err


# --- path aliases ---------------------------------------------------------------------------------
def test_same_file__relative_absolute_dotdot_and_symlink_name_one_project(project_file, monkeypatch):
    monkeypatch.chdir(project_file.parent)
    (project_file.parent / "sub").mkdir()
    link = project_file.parent / "link.gpkg"
    link.symlink_to(project_file)
    for alias in ("p.gpkg", str(project_file), "sub/../p.gpkg", str(link)):
        assert same_file(alias, project_file)
        assert guard_output(alias, command="assign", updates="p.gpkg") == Path(alias)
    assert not same_file("q.gpkg", project_file)


def _alias(k: int, path: Path) -> str:
    return ["p.gpkg", str(path), "sub/../p.gpkg", "link.gpkg"][k % 4]


@pytest.mark.slow  # ~20 s: 40 optimiser runs and saves
def test_assign__twenty_concurrent_pairs_under_two_names_lose_no_update(project_file, monkeypatch, capsys):
    # Each pair: `assign p.gpkg` and `assign p.gpkg --out <alias of p.gpkg>`, both loaded before either
    # saves (a barrier inside the optimiser). The store merges per unit: the later save either is told
    # to reload (exit 2) or finds its rows already written by the other (the same optimum) and adds
    # nothing that clashes. Either way no save is lost: every successful one is a revision.
    monkeypatch.chdir(project_file.parent)
    (project_file.parent / "sub").mkdir()
    (project_file.parent / "link.gpkg").symlink_to(project_file)
    real = assign_cmd.assign_project
    barrier: list[threading.Barrier] = []

    def loaded_together(*args, **kwargs):
        barrier[0].wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(assign_cmd, "assign_project", loaded_together)
    codes: list[int] = []
    start_revision = read_revision(project_file)
    for k in range(20):
        barrier[:] = [threading.Barrier(2)]
        argvs = [["assign", "p.gpkg"], ["assign", "p.gpkg", "--out", _alias(k, project_file)]]
        threads = [threading.Thread(target=lambda a=a: codes.append(main(a))) for a in argvs]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
    capsys.readouterr()
    saved = sum(c in (0, 1) for c in codes)
    conflicts = codes.count(2)
    assert len(codes) == 40 and saved + conflicts == 40 and saved >= 20  # each pair: one saved at least
    assert read_revision(project_file) == start_revision + saved  # every successful save counted: 0 lost


# --- exit codes -----------------------------------------------------------------------------------
def test_cli__usage_error_exits_2(capsys):
    assert main(["assign"]) == 2
    assert main(["--lang", "en"]) == 2


def test_cli__help_and_readme_document_every_exit_code(capsys):
    codes = [v for k, v in vars(cli_main).items() if k.startswith("EXIT_")]
    assert main(["--lang", "en", "--help"]) == 0
    help_text = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(codes) == [0, 1, 2, 3, 130]
    assert all(f"{code} " in help_text and f"**{code}**" in readme for code in codes)


def test_cli__internal_error_exits_3_with_one_line_and_a_log_file(project_file, tmp_path, monkeypatch,
                                                                   capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom in the optimiser")

    monkeypatch.setenv("GRIDATLAS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(assign_cmd, "assign_project", broken)
    assert main(["--lang", "en", "assign", str(project_file)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    logs = list((tmp_path / "logs").glob("cli-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text(encoding="utf-8") and "boom in the optimiser" in err


def test_cli__output_under_a_file_exits_2_naming_the_path(project_file, capsys):
    assert main(["--lang", "en", "check", str(project_file), "--report", str(project_file / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert str(project_file) in err and "Traceback" not in err


# --- orphans of killed saves ----------------------------------------------------------------------
# A whole-file save (as of a new or pre-store file: no snapshot, no bookkeeping) writes a temp file beside the
# project, then renames it; the child is killed between the two.
_KILLED_SAVE = """
import sys, time
import geo.project as gp
import geo.store.gpkg as store
real = store.write_whole_file
def write_then_hang(project, tmp):
    real(project, tmp)
    print("written", flush=True)
    time.sleep(120)
store.write_whole_file = write_then_hang
store._has_bookkeeping = lambda path: False
store._usable_snapshot = lambda project, path: None
gp.save_project(gp.load_project(sys.argv[1]), sys.argv[1])
"""


def test_save__orphan_of_a_kill_9_is_removed_by_the_next_save_and_the_project_stays_readable(project_file):
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(project_file)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    orphans = list(project_file.parent.glob(".p.*.tmp.gpkg"))
    assert len(orphans) == 1  # what kill -9 leaves
    project = load_project(project_file)  # still the old, whole file
    assert project.settings["title"] == "项目P"
    save_project(project, project_file)
    assert list(project_file.parent.glob(".p.*.tmp.gpkg")) == []
    assert load_project(project_file).revision == project.revision + 1


def test_save__temp_files_of_a_project_with_a_longer_name_are_left_alone(tiny_project, tmp_path):
    stranger = tmp_path / ".p.x.abcd1234.tmp.gpkg"  # a temp file of `p.x.gpkg`, not of `p.gpkg`
    stranger.write_bytes(b"")
    save_project(tiny_project, tmp_path / "p.gpkg")
    assert stranger.exists()


def test_cli__sigterm_during_a_save_leaves_no_temp_file(project_file):
    code = ("import sys, time, signal, os\n"
            "import geo.store.gpkg as store\n"
            "real = store.write_whole_file\n"
            "def slow(project, tmp):\n"
            "    real(project, tmp); print('written', flush=True); time.sleep(120)\n"
            "store.write_whole_file = slow\n"
            "store._has_bookkeeping = lambda path: False\n"
            "store._usable_snapshot = lambda project, path: None\n"
            "from cli.main import main\n"
            "sys.exit(main(['assign', sys.argv[1]]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(project_file)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert any(line.strip() == "written" for line in iter(proc.stdout.readline, ""))  # after its own output
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err
    assert list(project_file.parent.glob(".p.*.tmp.gpkg")) == []
    assert is_project_file(project_file)


def test_diff__csv_onto_its_project_is_refused(project_file, capsys):
    _refused(["diff", str(project_file), "基线", "方案乙", "--csv", str(project_file)], project_file, capsys)


def test_is_project_file__only_a_geopackage_with_the_meta_table(project_file, tmp_path, tiny_project):
    plain_gpkg = tmp_path / "towns.gpkg"
    pyogrio.write_dataframe(tiny_project.layer(s.TOWNS), plain_gpkg)
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    assert is_project_file(project_file)
    assert not any(is_project_file(p) for p in (plain_gpkg, empty, text, tmp_path, tmp_path / "missing.gpkg"))


def test_keep_backup__copies_beside_and_never_reuses_a_name(project_file):
    first, second = keep_backup(project_file), keep_backup(project_file)
    assert first != second and first.parent == second.parent == project_file.parent
    assert _digest(first) == _digest(second) == _digest(project_file)


def test_import__report_onto_an_input_file_is_refused(files, tmp_path, capsys):
    towns = files[s.TOWNS]
    before = _digest(towns)
    assert main(["--lang", "en", *_import_args(files, tmp_path / "new.gpkg"), "--report", str(towns)]) == 2
    assert "same file" in capsys.readouterr().err
    assert _digest(towns) == before and not (tmp_path / "new.gpkg").exists()
