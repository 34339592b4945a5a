"""The ``python -m cli coverage`` command: stores results, prints, exports, refuses bad input."""
from __future__ import annotations

import openpyxl
import pytest

from geo import schema as s
from cli.main import main
from geo.project import load_project, save_project


@pytest.fixture
def project_file(tiny_project, tmp_path):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    return path


def test_coverage_cli__stores_tables_and_writes_csv_with_bom(project_file, tmp_path, capsys):
    out_csv = tmp_path / "cov.csv"
    code = main(["--lang", "en", "coverage", str(project_file), "--radii", "300,500", "--csv", str(out_csv)])
    assert code == 1  # no staff assigned yet: every grid lacks a leader
    printed = capsys.readouterr().out
    assert "Coverage of the whole area" in printed and "Coverage (by households, else by area)" in printed
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Grid code,Grid name,Category,Radius (m)")
    loaded = load_project(project_file)
    assert loaded.revision == 2
    assert sorted(loaded.table(s.COVERAGE)["radius_m"].unique()) == [300.0, 500.0]


def test_coverage_cli__xlsx_has_chinese_sheets_and_suggestions(project_file, tmp_path, capsys):
    out = tmp_path / "cov.xlsx"
    main(["coverage", str(project_file), "--xlsx", str(out), "--suggest", "2", "--category", "群团", "--no-save"])
    printed = capsys.readouterr().out
    assert "建议新增 2 个“群团”服务点" in printed
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["网格覆盖", "汇总", "人员配备", "选址建议"]
    assert book["选址建议"].max_row == 3  # header + 2 suggestions
    assert load_project(project_file).revision == 1  # --no-save left the file alone


@pytest.mark.parametrize("args", [
    ["--radii", "300,abc"],  # not a number
    ["--radii", "-5"],  # not positive
    ["--suggest", "2"],  # no category
    ["--suggest", "1", "--category", "不存在"],  # unknown category
])
def test_coverage_cli__bad_input_exits_2_with_a_message(project_file, args, capsys):
    assert main(["--lang", "en", "coverage", str(project_file), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "Traceback" not in err


def test_coverage_cli__network_file_switches_to_walking_distance(project_file, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    from tests.factories import UTM, X0, Y0

    roads = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0 + 500), (X0 + 4000, Y0 + 500)])], crs=UTM).to_crs(
        s.STORAGE_CRS).to_file(roads)
    main(["--lang", "en", "coverage", str(project_file), "--radii", "500", "--network", str(roads)])
    assert "walking distance along the network" in capsys.readouterr().out
    loaded = load_project(project_file)
    assert loaded.meta["coverage"]["distance"] == "network"
    walked = loaded.table(s.COVERAGE)
    assert (walked["area_share"] < 0.5).all()  # only a 100 m corridor along one road is reachable
