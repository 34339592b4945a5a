"""Numbers are numbers in XLSX exports: counts and households numeric, shares as percentages, codes as text.

Every XLSX (the export, the roster, the coverage command's workbook) goes through
``geo.export_formats.to_xlsx_bytes``, where ``column_kind`` decides each column's cells.
The data is generated here: 12-16 digit codes, ids with leading zeros, shares 0..1.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo import schema as s
from cli.commands.coverage import write_xlsx
from geo.coverage import service_reach, with_coverage
from geo.export import ExportOptions, export_bytes
from geo.export_formats import NUMBER, SHARE, TEXT, column_kind, to_xlsx_bytes
from geo.export_tables import header
from geo.roster import roster_bytes


def _columns(ws) -> dict[str, list]:
    """Header -> the cells below it."""
    heads = [c.value for c in ws[1]]
    return {h: [row[i] for row in ws.iter_rows(min_row=2)] for i, h in enumerate(heads)}


def _sixteen_digit_project(tiny_project):
    """The tiny project with office codes: 14-digit general, 16-digit micro-grid codes; ids like "00110"."""
    grids = tiny_project.layer(s.GRIDS).copy()
    def code(old: str) -> str:
        parts = old.split("-")
        return parts[0] + "".join(f"{int(p[1:]):02d}" for p in parts[1:])
    grids[s.CODE] = grids[s.CODE].map(code)
    grids[s.PARENT_CODE] = grids[s.PARENT_CODE].map(lambda c: code(c) if "-" in c else c)
    vols = tiny_project.layer(s.VOLUNTEERS).copy()
    vols[s.VOLUNTEER_ID] = "00" + vols[s.VOLUNTEER_ID].str[1:]
    rows = pd.DataFrame([
        {s.VOLUNTEER_ID: "00110", s.GRID_CODE: "5101840010010101", s.ROLE: "leader", s.DISTANCE_M: 0.0},
        {s.VOLUNTEER_ID: "00111", s.GRID_CODE: "51018400100101", s.ROLE: "worker", s.DISTANCE_M: 260.4},
    ]).assign(**{s.METHOD: "optimised", s.LOCKED: False, s.VERSION: 1, s.UPDATED_AT: "2025-01-01T00:00:00",
                 s.SCENARIO: s.DEFAULT_SCENARIO})
    project = tiny_project.with_layer(s.GRIDS, grids).with_layer(s.VOLUNTEERS, vols)
    return project.with_table(s.ASSIGNMENTS, rows)


@pytest.mark.parametrize(("name", "values", "kind", "number_format"), [
    (s.GRID_CODE, [5101840010010101, 5101840010010102], TEXT, "@"),  # a code is text even when stored as int
    (s.COMMUNITY_CODE, ["510184001001", None], TEXT, "@"),
    ("leader_id", ["007", ""], TEXT, "@"),
    (s.HOUSEHOLDS_N, [12465, 30], NUMBER, "#,##0"),
    ("grid_count", np.array([1, 2], dtype=object), NUMBER, "#,##0"),  # numbers in an object column
    (s.DISTANCE_M, [260.0, np.nan], NUMBER, "#,##0"),  # whole floats are integers
    ("households_covered", [10.5, 3.25], NUMBER, "#,##0.00"),
    ("area_share", [0.8765, 1.0], SHARE, "0.0%"),
    ("staffing_rate", [0.5, np.nan], SHARE, "0.0%"),
    (s.NAME, ["望江社区", "12"], TEXT, "@"),  # any column that is not all numbers
])
def test_column_kind__codes_text_counts_numbers_shares_percent(name, values, kind, number_format):
    cell = column_kind(name, pd.Series(values))
    assert (cell.kind, cell.number_format) == (kind, number_format)


def test_to_xlsx_bytes__typed_cells_read_back_with_their_formats():
    df = pd.DataFrame({
        s.GRID_CODE: ["0101970010010101", "5101970010020104"],  # 16 digits, one with a leading zero
        s.CODE: pd.array([510197001001, 510197001002], dtype="int64"),  # 12 digits stored as numbers
        s.HOUSEHOLDS_N: [1501, 12465], "area_share": [0.8765, 0.0], "note": ["=SUM(A1)", "-5"],
        "delta": [-5, 3],
    })
    wb = load_workbook(io.BytesIO(to_xlsx_bytes({"S": df}, headers={s.HOUSEHOLDS_N: "户数"})))
    cols = _columns(wb["S"])
    assert [(c.value, c.data_type, c.number_format) for c in cols["grid_code"]] == [
        ("0101970010010101", "s", "@"), ("5101970010020104", "s", "@")]
    assert [c.value for c in cols["code"]] == ["510197001001", "510197001002"]
    assert [(c.value, c.data_type, c.number_format) for c in cols["户数"]] == [
        (1501, "n", "#,##0"), (12465, "n", "#,##0")]
    assert [(c.value, c.number_format) for c in cols["area_share"]] == [(0.8765, "0.0%"), (0, "0.0%")]
    assert [c.value for c in cols["note"]] == ["'=SUM(A1)", "'-5"]  # text neutralised
    assert [(c.value, c.data_type) for c in cols["delta"]] == [(-5, "n"), (3, "n")]  # numbers are not


def test_to_xlsx_bytes__text_with_missing_cells_and_escape_lookalikes_reads_back_as_written():
    df = pd.DataFrame({"name": pd.Series(["_x0041_", None, " lead", "a\nb", "<&>\"'"], dtype="str"),
                       "flag": [True, None, False, True, False]})
    ws = load_workbook(io.BytesIO(to_xlsx_bytes({"S": df})))["S"]
    cols = _columns(ws)
    assert [c.value for c in cols["name"]] == ["_x0041_", None, " lead", "a\nb", "<&>\"'"]  # literal, not unescaped
    assert [(c.value, c.data_type) for c in cols["flag"]] == [(True, "b"), (None, "n"), (False, "b"), (True, "b"),
                                                             (False, "b")]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["A"].width >= 8


def test_export_xlsx__households_and_staffing_numeric_codes_and_ids_text(tiny_project):
    project = _sixteen_digit_project(tiny_project)
    wb = load_workbook(io.BytesIO(export_bytes(project, ExportOptions(fmt="xlsx")).data))
    town = _columns(wb["测试1镇"])
    grid_cells = town[header(s.GRID_CODE, "zh")]
    assert {c.value for c in grid_cells} >= {"5101840010010101", "51018400100101"}
    assert all(c.data_type == "s" and c.number_format == "@" for c in grid_cells)
    ids = [c for c in town[header(s.VOLUNTEER_ID, "zh")] if c.value]
    assert {c.value for c in ids} == {"00110", "00111"} and all(c.data_type == "s" for c in ids)
    for col in (s.HOUSEHOLDS_N, "target", "actual"):
        cells = town[header(col, "zh")]
        assert all(c.data_type == "n" and c.number_format == "#,##0" and isinstance(c.value, int)
                   for c in cells)
    distances = [c.value for c in town[header(s.DISTANCE_M, "zh")] if c.value is not None]
    assert sorted(distances) == [0, 260]
    summary = _columns(wb["汇总"])
    households = [c.value for c in summary[header(s.HOUSEHOLDS_N, "zh")]]
    assert all(isinstance(v, int) for v in households)
    assert sum(households) == 2 * (4 * 2 * 2 * 40)  # town rows + community rows, 160 per community
    assert all(c.data_type == "s" for c in summary[header(s.TOWN_CODE, "zh")] if c.value)


def test_roster_xlsx__ids_codes_and_masked_phones_are_text(tiny_project):
    project = _sixteen_digit_project(tiny_project)
    wb = load_workbook(io.BytesIO(roster_bytes(project, form="xlsx")))
    cols = _columns(wb.worksheets[0])
    for col in (s.COMMUNITY_CODE, s.GRID_CODE, s.VOLUNTEER_ID, s.PHONE):
        cells = cols[header(col, "zh")]
        assert cells and all(c.data_type == "s" and c.number_format == "@" for c in cells)
    assert {c.value for c in cols[header(s.VOLUNTEER_ID, "zh")]} == {"00110", "00111"}


def test_coverage_xlsx__shares_as_percent_cells_radius_numeric_codes_text(tiny_project, tmp_path):
    project = with_coverage(tiny_project, service_reach(tiny_project, radii_m=[300, 500]))
    path = tmp_path / "cov.xlsx"
    write_xlsx(project, path, "en")
    wb = load_workbook(path)
    cov = _columns(wb.worksheets[0])
    shares = cov["Area share"]
    assert shares and all(c.data_type == "n" and c.number_format == "0.0%" for c in shares)
    assert all(0 <= c.value <= 1 for c in shares)
    assert all(c.data_type == "n" and c.value in (300, 500) for c in cov["Radius (m)"])
    assert all(c.data_type == "s" and "-G" in c.value for c in cov["Grid code"])
    rollup = _columns(wb.worksheets[1])
    assert all(c.data_type == "s" for c in rollup["Unit code"] if c.value)
    shares = rollup["Coverage (by households, else by area)"]
    assert shares and all(c.number_format == "0.0%" and c.data_type == "n" for c in shares)
    assert all(isinstance(c.value, int) and c.number_format == "#,##0" for c in rollup["Households"])


def test_geo__writes_xlsx_only_through_to_xlsx_bytes():
    root = Path(__file__).resolve().parents[1] / "geo"
    writers = ("openpyxl.Workbook(", "Workbook(write_only", "xlsxwriter.Workbook(", "ExcelWriter", ".to_excel(",
               "[Content_Types].xml")
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if any(w in p.read_text(encoding="utf-8") for w in writers))
    assert found == ["export_formats.py"]
