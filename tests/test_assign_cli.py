"""``python -m cli assign``: summary, exit codes, atomic save, locked rows never overwritten."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from cli.main import main
from geo.project import load_project, save_project


@pytest.fixture
def tiny_file(tiny_project, tmp_path):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    return path


def test_cli_assign__prints_summary_saves_tables_and_exits_1_when_short(tiny_file, capsys):
    code = main(["--lang", "en", "assign", str(tiny_file), "--max-distance-m", "2000"])
    out = capsys.readouterr().out
    assert code == 1  # 7 grids stay short in the tiny project
    assert "24 places, 17 filled" in out and "Grids short of staff: 7" in out and "added 17" in out
    project = load_project(tiny_file)
    assert project.revision == 2
    assert len(project.table(s.ASSIGNMENTS)) == 17
    assert set(project.table(s.POINT_GRIDS)[s.LEVEL]) == {"micro", "general", "community", "town"}


def test_cli_assign__rerun_reports_no_changes_and_keeps_locked_rows(tiny_file, capsys):
    project = load_project(tiny_file)
    locked = pd.DataFrame([{s.VOLUNTEER_ID: "V000", s.GRID_CODE: "510184002002-G2-M2", s.ROLE: "leader",
                            s.METHOD: "manual", s.DISTANCE_M: 4000.0, s.LOCKED: True, s.VERSION: 1,
                            s.UPDATED_AT: "2024-01-01", s.SCENARIO: s.DEFAULT_SCENARIO}])
    save_project(project.with_table(s.ASSIGNMENTS, locked), tiny_file)
    main(["assign", str(tiny_file)])
    capsys.readouterr()
    main(["--lang", "en", "assign", str(tiny_file)])
    out = capsys.readouterr().out
    assert "added 0, removed 0, moved 0" in out
    table = load_project(tiny_file).table(s.ASSIGNMENTS)
    row = table[table[s.VOLUNTEER_ID] == "V000"]
    assert len(row) == 1 and row[s.GRID_CODE].iloc[0] == "510184002002-G2-M2" and bool(row[s.LOCKED].iloc[0])


def test_cli_assign__out_writes_another_file_and_leaves_the_input(tiny_file, tmp_path):
    out = tmp_path / "out.gpkg"
    main(["assign", str(tiny_file), "--one-leadership", "--out", str(out)])
    assert s.ASSIGNMENTS not in load_project(tiny_file).tables
    assert len(load_project(out).table(s.ASSIGNMENTS)) > 0


def test_cli_assign__missing_project_exits_2_with_a_message(tmp_path, capsys):
    assert main(["assign", str(tmp_path / "nope.gpkg")]) == 2
    assert "nope.gpkg" in capsys.readouterr().err


def test_cli_assign__ruleset_writes_its_scenario_and_a_masked_callout_roster(tiny_file, tmp_path, capsys):
    roster = tmp_path / "callout.csv"
    main(["--lang", "en", "assign", str(tiny_file), "--ruleset", "战时", "--callout", str(roster)])
    out = capsys.readouterr().out
    project = load_project(tiny_file)
    assert len(project.assignments("战时")) > 0 and project.active_scenario == s.DEFAULT_SCENARIO
    assert project.settings["ruleset"] == "战时" and "(scenario: Emergency)" in out and str(roster) in out
    table = pd.read_csv(roster, dtype=str, encoding="utf-8-sig")
    assert {"Grid code", "Call order", "Phone"} <= set(table.columns) and len(table) > 0
    assert not table["Phone"].dropna().str.fullmatch(r"\d{11}").any()  # masked by default


def test_cli_assign__unknown_ruleset_exits_2_naming_the_known_ones(tiny_file, capsys):
    assert main(["--lang", "en", "assign", str(tiny_file), "--ruleset", "台风"]) == 2
    err = capsys.readouterr().err
    assert "台风" in err and "平时" in err and "Traceback" not in err
