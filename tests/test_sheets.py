"""Spreadsheets as offices make them: title rows, merged two-row headers, 序号, 合计 rows, notes sheets."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from geo import schema as s
from geo.errors import GeoInputError
from geo.io import load_layer
from geo.sheets import SKIP_BLANK, SKIP_NOTES, SKIP_TITLE, SKIP_TOTAL, cell_text, read_workbook

FIELDKIT = Path(__file__).parent / "data" / "fieldkit"


def _office_xlsx(path: Path) -> Path:
    """A 花名册 like a 街道 makes it: title over A:F, a blank row, a two-row merged header, 合计, a notes sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["某街道网格员花名册"])
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append(["序号", "基本信息", None, None, "网格信息", None])
    ws.append([None, "姓名", "联系电话", "身份证号", "所属社区", "所属网格"])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:D3")
    ws.merge_cells("E3:F3")
    ws.append([1, "张三", 17000001234, "510197198001010011", "望江社区", "望江社区第1网格"])
    ws.append([])  # a blank row inside the data
    ws.append([2, "李四", "170 0000 5678", "51019719800101002x", "望江社区", "望江社区第1网格1号微网格"])
    ws.append(["合计", None, "2人"])
    notes = wb.create_sheet("说明")
    notes.append(["填表说明"])
    notes.append(["1. 身份证号请以文本录入。"])
    wb.save(path)
    return path


def test_read_workbook__finds_the_header_under_a_title_and_flattens_two_rows(tmp_path):
    book = read_workbook(_office_xlsx(tmp_path / "花名册.xlsx"))
    sheet = book.sheet()
    assert sheet.name == "花名册"
    assert sheet.header_rows == (3, 4)
    assert list(sheet.frame.columns) == ["姓名", "联系电话", "身份证号", "所属社区", "所属网格"]  # 序号 dropped
    assert list(sheet.frame.index) == [5, 7]  # Excel row numbers
    assert sheet.serials == {5: "1", 7: "2"}


def test_read_workbook__skips_title_blank_and_total_rows_and_says_why(tmp_path):
    sheet = read_workbook(_office_xlsx(tmp_path / "r.xlsx")).sheet()
    assert sheet.skipped_rows == {1: SKIP_TITLE, 2: SKIP_BLANK, 6: SKIP_BLANK, 8: SKIP_TOTAL}


def test_read_workbook__reads_every_sheet_and_names_the_notes_sheet_skipped(tmp_path):
    book = read_workbook(_office_xlsx(tmp_path / "r.xlsx"))
    assert [sh.name for sh in book.sheets] == ["花名册"]
    assert book.skipped_sheets == {"说明": SKIP_NOTES}


def test_read_workbook__keeps_text_as_text_and_numeric_phones_without_point_zero(tmp_path):
    frame = read_workbook(_office_xlsx(tmp_path / "r.xlsx")).sheet().frame
    assert frame.loc[5, "联系电话"] == "17000001234"
    assert frame.loc[5, "身份证号"] == "510197198001010011"
    assert frame.loc[7, "联系电话"] == "170 0000 5678"


@pytest.mark.parametrize(("value", "text"), [
    (17000001234, "17000001234"),  # a phone typed as a number
    (17000001234.0, "17000001234"),  # the same, read as a float
    ("  望江社区 ", "望江社区"),  # padded text
    ("", None),  # blank
    (2.5, "2.5"),  # a real decimal stays
])
def test_cell_text__cases(value, text):
    assert cell_text(value) == text


def test_read_workbook__gbk_csv_with_a_title_row_and_two_row_header(tmp_path):
    text = "某社区服务点\r\n序号,基本信息,,位置,\r\n,名称,类型,经度,纬度\r\n1,甲站,社区花园,104.1,30.7\r\n合计,1个,,,\r\n"
    path = tmp_path / "points.csv"
    path.write_bytes(text.encode("gbk"))
    book = read_workbook(path)
    sheet = book.sheet()
    assert book.encoding == "GB18030"
    assert list(sheet.frame.columns) == ["名称", "类型", "经度", "纬度"]
    assert list(sheet.frame.index) == [4]
    assert sheet.skipped_rows == {1: SKIP_TITLE, 5: SKIP_TOTAL}


def test_read_workbook__unknown_sheet_lists_the_sheets(tmp_path):
    book = read_workbook(_office_xlsx(tmp_path / "r.xlsx"))
    with pytest.raises(GeoInputError) as err:
        book.sheet("名单")
    assert err.value.code == "sheets.unknown_sheet"
    assert err.value.context["sheets"] == ["花名册"]


def test_load_layer__fieldkit_service_points_gb18030_csv_notes_the_encoding():
    loaded = load_layer(FIELDKIT / "rosters" / "service_points_baidu.csv", s.SERVICE_POINTS, crs="bd09")
    assert loaded.encoding == "GB18030"
    assert len(loaded.gdf) == 45
    codes = {f["code"] for f in loaded.findings}
    assert {"io.encoding_detected", "io.sheet_read", "io.ids_generated"} <= codes


def test_load_layer__text_in_a_number_column_names_the_excel_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["楼栋清单"])
    ws.append(["编码", "户数", "经度", "纬度"])
    ws.append(["B1", 30, 104.1, 30.7])
    ws.append(["B2", "约50", 104.1, 30.7])
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(GeoInputError) as err:
        load_layer(tmp_path / "b.xlsx", s.HOUSEHOLDS, crs="wgs84")
    assert err.value.code == "io.text_in_number"
    assert err.value.context["row"] == "4"
