"""``python -m cli import`` and ``check`` end to end, on files written from the tiny project."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from geo import schema as s
from cli.main import main
from geo.project import load_project
from tests.factories import tiny_layers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path):
    """The tiny project as a planner would bring it: GeoJSON boundaries, a GBK CSV roster, an XLSX."""
    layers = tiny_layers()
    out = {}
    for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        out[name] = tmp_path / f"{name}.geojson"
        pyogrio.write_dataframe(layers[name], out[name])
    vols = layers[s.VOLUNTEERS]
    out[s.VOLUNTEERS] = tmp_path / "志愿者.csv"
    pd.DataFrame({"编号": vols[s.VOLUNTEER_ID], "姓名": vols[s.NAME], "联系电话": vols[s.PHONE],
                  "经度": vols.geometry.x, "纬度": vols.geometry.y, "备注": "无"}).to_csv(
        out[s.VOLUNTEERS], index=False, encoding="gbk")
    pts = layers[s.SERVICE_POINTS]
    out[s.SERVICE_POINTS] = tmp_path / "服务点.xlsx"
    pd.DataFrame({"点位编号": pts[s.POINT_ID], "名称": pts[s.NAME], "类型": pts[s.POINT_TYPE],
                  "lng": pts.geometry.x, "lat": pts.geometry.y}).to_excel(out[s.SERVICE_POINTS], index=False)
    return out


def _import_args(files, out) -> list[str]:
    return ["import", "--towns", str(files[s.TOWNS]), "--communities", str(files[s.COMMUNITIES]),
            "--grids", str(files[s.GRIDS]), "--volunteers", str(files[s.VOLUNTEERS]),
            "--service-points", str(files[s.SERVICE_POINTS]), "--crs", "wgs84", "--out", str(out)]


def test_import__builds_a_project_and_prints_the_check(files, tmp_path, capsys):
    out = tmp_path / "project.gpkg"
    assert main(["--lang", "en", *_import_args(files, out)]) == 0
    text = capsys.readouterr().out
    assert "志愿者.csv" in text and "GB18030" in text  # the encoding used is said
    assert "备注" in text  # the unrecognised column is reported
    assert "Check result: 0 errors, 1 warnings" in text
    project = load_project(out)
    assert len(project.layer(s.GRIDS)) == 24
    assert "01088886666" in list(project.layer(s.VOLUNTEERS)[s.PHONE])  # leading zero kept
    sources = project.meta["sources"]
    assert sources[s.VOLUNTEERS]["file"] == "志愿者.csv"
    assert sources[s.VOLUNTEERS]["crs"] == "EPSG:4326"
    assert sources[s.VOLUNTEERS]["encoding"] == "GB18030"
    assert sources[s.SERVICE_POINTS]["columns"]["lng"] == "lon"
    assert "imported_at" in project.meta


def test_check__exit_1_on_errors_and_writes_a_bom_csv(files, tmp_path, capsys):
    layers = tiny_layers()
    grids = layers[s.GRIDS].to_crs("EPSG:32648")
    grids.loc[1, "geometry"] = shapely.box(*grids.loc[1, "geometry"].bounds[:3],
                                           grids.loc[1, "geometry"].bounds[3] + 20)
    pyogrio.write_dataframe(grids.to_crs(s.STORAGE_CRS), files[s.GRIDS])
    out = tmp_path / "project.gpkg"
    assert main(_import_args(files, out)) == 1
    capsys.readouterr()
    report = tmp_path / "report.csv"
    spots = tmp_path / "spots.gpkg"
    assert main(["check", str(out), "--report", str(report), "--spots", str(spots)]) == 1
    text = capsys.readouterr().out
    assert "重叠" in text and "grids.geojson" in text
    data = report.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    assert "check.overlap" in set(table["代码"])
    assert len(pyogrio.read_dataframe(spots)) >= 1


def test_import__map_option_renames_a_column(files, tmp_path):
    vols = pd.read_csv(files[s.VOLUNTEERS], encoding="gbk", dtype=str).rename(columns={"姓名": "联系人"})
    vols.to_csv(files[s.VOLUNTEERS], index=False, encoding="utf-8-sig")
    out = tmp_path / "p.gpkg"
    assert main([*_import_args(files, out), "--map", "联系人=name"]) == 0
    assert "张000" in list(load_project(out).layer(s.VOLUNTEERS)[s.NAME])


def test_import__csv_without_crs_is_refused_with_exit_2(files, tmp_path, capsys):
    out = tmp_path / "p.gpkg"
    code = main(["--lang", "en", "import", "--volunteers", str(files[s.VOLUNTEERS]), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "志愿者.csv" in err and "--crs" in err
    assert not out.exists()  # nothing half-written


def test_import__refuses_to_overwrite_a_foreign_geopackage(files, tmp_path):
    out = tmp_path / "mine.gpkg"
    pyogrio.write_dataframe(tiny_layers()[s.TOWNS], out)
    assert main([*_import_args(files, out)]) == 2
    assert pyogrio.list_layers(out)[0][0] == "mine"  # untouched


def test_cli__bad_input_gives_a_message_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "cli", "import", "--towns", str(bad), "--out",
                           str(tmp_path / "p.gpkg")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "bad.geojson" in proc.stderr and "Traceback" not in proc.stderr
