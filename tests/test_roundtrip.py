"""Round trip: an exported XLSX/CSV edited by hand comes back as manual assignments, previewed first."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo import schema as s
from cli.main import main
from geo.errors import GeoInputError
from geo.export import ExportOptions, export_bytes
from geo.export_formats import neutralise, unneutralise
from geo.project import load_project, save_project
from geo.roundtrip import apply_diff, diff_assignments, preview_lines, read_edited_table
from tests.test_export import G1, M1, M2, T2_MICRO, with_assignments

C12_MICRO = "510184001002-G1-M1"


@pytest.fixture
def project(tiny_project):
    return with_assignments(tiny_project)


def _edit_xlsx(data: bytes, edit) -> bytes:
    """Apply ``edit(ws, header)`` to the first town sheet and return the workbook bytes."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    edit(ws, [c.value for c in ws[1]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _set(ws, header, *, volunteer, column, value):
    col = header.index(column) + 1
    vcol = header.index("人员编号") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=vcol).value == volunteer:
            ws.cell(row=r, column=col).value = value


def _exported(project, **kw) -> bytes:
    return export_bytes(project, ExportOptions(fmt="xlsx", **kw)).data


def test_unedited_export__has_no_differences(project):
    edited = read_edited_table(_exported(project), filename="a.xlsx")
    diff = diff_assignments(project, edited)
    assert diff.is_empty and diff.unchanged == 4 and diff.problems == []
    assert preview_lines(diff) == ["没有差异，无需导入。"]


def test_edited_xlsx__move_remove_add_and_role_change_are_previewed(project):
    def edit(ws, header):
        _set(ws, header, volunteer="V000", column="网格编码", value=M2)  # moved within the community
        _set(ws, header, volunteer="V111", column="人员编号", value=None)  # removed from G1
        _set(ws, header, volunteer="V110", column="角色", value="成员")  # role change
        gcol, vcol = header.index("网格编码") + 1, header.index("人员编号") + 1
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=gcol).value == C12_MICRO:
                ws.cell(row=r, column=vcol).value = "V120"  # added

    edited = read_edited_table(_edit_xlsx(_exported(project), edit), filename="e.xlsx")
    diff = diff_assignments(project, edited)
    assert diff.moved.to_dict("records") == [{"volunteer_id": "V000", "from_grid": M1, "grid_code": M2,
                                              "role": "member"}]
    assert diff.removed[["volunteer_id", "grid_code"]].values.tolist() == [["V111", G1]]
    assert diff.added[["volunteer_id", "grid_code"]].values.tolist() == [["V120", C12_MICRO]]
    assert diff.changed[["volunteer_id", "from_role", "role"]].values.tolist() == [["V110", "leader", "member"]]
    lines = preview_lines(diff)
    assert "新增 1 行，移除 1 行，调整网格 1 行，角色变更 1 行，未变 1 行。" in lines
    assert f"调整：V000 从 {M1} 到 {M2}" in lines


def test_apply__writes_manual_locked_rows_with_distance_and_audit(project):
    def edit(ws, header):
        _set(ws, header, volunteer="V000", column="网格编码", value=M2)

    diff = diff_assignments(project, read_edited_table(_edit_xlsx(_exported(project), edit), filename="e.xlsx"))
    updated = apply_diff(project, diff, user="王主任")
    table = updated.table(s.ASSIGNMENTS)
    assert len(table) == 4
    moved = table.loc[table[s.VOLUNTEER_ID] == "V000"].iloc[0]
    assert moved[s.GRID_CODE] == M2 and moved[s.METHOD] == "manual" and bool(moved[s.LOCKED])
    # V000 stands 50 m west and 250 m south of M2's south-west corner
    assert moved[s.DISTANCE_M] == pytest.approx((50**2 + 250**2) ** 0.5, abs=1)
    assert moved[s.VERSION] == 2
    untouched = table.loc[table[s.VOLUNTEER_ID] == "V210"].iloc[0]
    assert untouched[s.METHOD] == "within"
    audit = updated.table(s.AUDIT)
    assert audit[["user", "action", "object", "from", "to"]].values.tolist() == [
        ["王主任", "export_apply_move", "V000", M1, M2]]
    assert len(project.table(s.ASSIGNMENTS)) == 4 and project.table(s.AUDIT).empty  # input untouched


def test_partial_file__leaves_other_towns_and_levels_alone(project):
    data = export_bytes(project, ExportOptions(fmt="csv", level="micro")).data
    text = data.decode("utf-8-sig")
    town1_only = "\n".join(line for line in text.splitlines() if "510184002" not in line)  # drop town T2 rows
    diff = diff_assignments(project, read_edited_table(town1_only.encode("utf-8-sig"), filename="t1.csv"))
    assert diff.is_empty  # T2's micro-grid and T1's general grid assignments are out of scope


def test_csv_round_trip__gb18030_with_english_headers(project):
    data = export_bytes(project, ExportOptions(fmt="csv", encoding="gb18030", lang="en")).data
    text = data.decode("gb18030").replace(f"{M1},", f"{M2},", 1)  # first M1 row (V110, leader) moves to M2
    edited = read_edited_table(text.encode("gb18030"), filename="edited.csv")
    diff = diff_assignments(project, edited)
    assert diff.moved[["volunteer_id", "grid_code"]].values.tolist() == [["V110", M2]]


def test_unknown_codes__reported_by_sheet_and_row_and_apply_refused(project):
    def edit(ws, header):
        _set(ws, header, volunteer="V000", column="网格编码", value="NO-SUCH-GRID")
        _set(ws, header, volunteer="V110", column="人员编号", value="V999")

    edited = read_edited_table(_edit_xlsx(_exported(project), edit), filename="e.xlsx")
    diff = diff_assignments(project, edited)
    codes = {(p["code"], p["value"]) for p in diff.problems}
    assert codes == {("unknown_grid", "NO-SUCH-GRID"), ("unknown_volunteer", "V999")}
    assert all(p["sheet"] == "测试1镇" and p["row"] >= 2 for p in diff.problems)
    with pytest.raises(GeoInputError) as err:
        apply_diff(project, diff, file="e.xlsx")
    assert err.value.code == "export.roundtrip_problems" and err.value.context["n"] == 2


def test_read_edited_table__file_without_the_columns_is_refused():
    with pytest.raises(GeoInputError) as err:
        read_edited_table("a,b\n1,2\n".encode(), filename="x.csv")
    assert err.value.code == "export.roundtrip_columns"
    with pytest.raises(GeoInputError) as err:
        read_edited_table(b"not a zip", filename="x.xlsx")
    assert err.value.code == "export.roundtrip_unreadable"


@pytest.mark.parametrize("value", ["=1+1", "-V1", "+x", "@a", "plain", "'quoted"])
def test_neutralise__round_trips(value):
    assert unneutralise(neutralise(value)) == value


def test_cli_apply__previews_then_writes_with_yes(project, tmp_path, capsys):
    path = tmp_path / "p.gpkg"
    save_project(project, path)

    def edit(ws, header):
        _set(ws, header, volunteer="V000", column="网格编码", value=M2)

    edited = tmp_path / "e.xlsx"
    edited.write_bytes(_edit_xlsx(_exported(project), edit))
    assert main(["export", str(path), "--apply", str(edited)]) == 1
    assert "调整：V000" in capsys.readouterr().out
    assert load_project(path).table(s.ASSIGNMENTS)[s.METHOD].tolist().count("manual") == 0
    assert main(["export", str(path), "--apply", str(edited), "--yes", "--user", "王主任"]) == 0
    table = load_project(path).table(s.ASSIGNMENTS)
    assert table.loc[table[s.VOLUNTEER_ID] == "V000", s.GRID_CODE].tolist() == [M2]
    assert main(["export", str(path), "--apply", str(edited)]) == 0  # nothing left to apply
    assert pd.notna(load_project(path).table(s.AUDIT)["time"]).all()
    assert T2_MICRO in set(table[s.GRID_CODE])
