"""GridAtlas writes XLSX packages itself (``geo.export_formats.to_xlsx_bytes``); XlsxWriter is the reference.

The same frames written by XlsxWriter, a well-kept library, cell by cell with the cells' own
types and number formats, must read back (openpyxl) identical to ours: every value, cell type,
number format, column width and the frozen header. The frames are generated (hypothesis) with
hostile text, missing values, booleans, shares, counts and long codes; and the field kit's export.
"""
from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from geo.export import ExportOptions, export_bytes
from tests.fieldkit import fieldkit_project
from geo.export_formats import (
    BOOLEAN, TEXT, CellKind, _column_cells, _column_width, _text_cell, _without_controls, column_kind, neutralise,
    sheet_names, to_xlsx_bytes,
)
from geo.values import CONTROL_CHARACTERS, strip_controls

xlsxwriter = pytest.importorskip("xlsxwriter")


def _reference(sheets: dict[str, pd.DataFrame], *, headers=None, text_columns=()) -> bytes:
    """The workbook as XlsxWriter writes it: one typed writer call per cell (no metadata sheet)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats: dict[str, object] = {}
    for title, df in zip(sheet_names(list(sheets)), sheets.values()):
        ws = book.add_worksheet(title)
        heads, _ = _without_controls([neutralise(str((headers or {}).get(c, c))) for c in df.columns])
        head_format = formats.setdefault("@", book.add_format({"num_format": "@"}))
        for col, head in enumerate(heads):
            kind = column_kind(df.columns[col], df.iloc[:, col], text_columns=text_columns)
            values, _ = _column_cells(df.iloc[:, col], kind)
            fmt = formats.setdefault(kind.number_format, book.add_format({"num_format": kind.number_format}))
            ws.set_column(col, col, min(max(_column_width(head, values) + 2, 6), 60), fmt)
            ws.write_string(0, col, head, head_format)
            write = {TEXT: ws.write_string, BOOLEAN: ws.write_boolean}.get(kind.kind, ws.write_number)
            for row, value in enumerate(values, start=1):
                if value is not None:
                    write(row, col, value, fmt)
        ws.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


def _read(data: bytes) -> dict[str, object]:
    wb = load_workbook(io.BytesIO(data))
    out: dict[str, object] = {}
    for ws in wb.worksheets:
        cells = [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]
        widths = {i: round(d.width, 2) for d in ws.column_dimensions.values() if d.width
                  for i in range(d.min, d.max + 1)}  # XlsxWriter writes equal neighbours as one range
        out[ws.title] = (cells, widths, ws.freeze_panes)
    return out


def _assert_same(sheets: dict[str, pd.DataFrame], *, headers=None, text_columns=()) -> None:
    ours = _read(to_xlsx_bytes(sheets, headers=headers, text_columns=text_columns))
    reference = _read(_reference(sheets, headers=headers, text_columns=text_columns))
    assert ours.keys() == reference.keys()
    for title in ours:
        assert ours[title] == reference[title], title


_text = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                  st.sampled_from(["=1+1", "@SUM(A1)", " lead", "tail ", "_x0041_", "<b>&amp;</b>", "大同村",
                                   "![x](http://e/x.png)", "$x$", "a\r\nb", "\u202eevil"]))
_number = st.one_of(st.none(), st.integers(-10**12, 10**12), st.integers(-10**17, 10**17),  # .16G beyond 1e15
                    st.floats(allow_nan=True, allow_infinity=True, width=64))


@pytest.mark.filterwarnings("ignore::geo.errors.GeoWarning", "ignore::RuntimeWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_to_xlsx_bytes__reads_back_as_xlsxwriter_writes_the_same_frames(data):
    n = data.draw(st.integers(0, 8))
    frame = pd.DataFrame({
        "name": data.draw(st.lists(_text, min_size=n, max_size=n)),
        "households": data.draw(st.lists(_number, min_size=n, max_size=n)),
        "coverage": data.draw(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=n, max_size=n)),
        "code": [str(10**15 + i) for i in range(n)],
        "leader": data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
    })
    _assert_same({"网格": frame, "Sheet/[x]": frame.iloc[::-1].reset_index(drop=True)})


def test_to_xlsx_bytes__field_kit_export_reads_back_as_xlsxwriter_writes_it(monkeypatch):
    """The whole XLSX export of the field kit: every sheet the export writes, through both writers."""
    import geo.export_formats as formats

    calls: list[tuple[dict, dict]] = []
    real = formats.to_xlsx_bytes

    def capture(sheets, **kwargs):
        calls.append((dict(sheets), kwargs))
        return real(sheets, **kwargs)

    monkeypatch.setattr(formats, "to_xlsx_bytes", capture)
    export_bytes(fieldkit_project(general_grids=True), ExportOptions(fmt="xlsx"))
    (sheets, kwargs), = calls
    assert sum(len(df) for df in sheets.values()) > 100
    _assert_same(sheets, headers=kwargs.get("headers"), text_columns=kwargs.get("text_columns", ()))


def _cell_at_a_time(values: list) -> tuple[list, int]:
    """Text cells as they were written before a column was converted once per distinct text."""
    cells, removed = [], 0
    for value in values:
        cell = _text_cell(value)
        if isinstance(cell, str) and CONTROL_CHARACTERS.search(cell):
            cell, removed = strip_controls(cell), removed + 1
        cells.append(cell.replace("\r\n", "\n").replace("\r", "\n") if isinstance(cell, str) else cell)
    return cells, removed


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.one_of(_text, st.sampled_from(["=1+1", "\x00=x", "a\x07b"])), max_size=20),
       dtype=st.sampled_from(["str", object]), numbers=st.lists(st.one_of(st.integers(), st.floats()), max_size=3))
def test_column_cells__text_converted_once_per_distinct_text_as_a_cell_at_a_time(values, dtype, numbers):
    assert _column_cells(pd.Series(values, dtype=dtype), CellKind(TEXT)) == _cell_at_a_time(values)
    mixed = values + numbers  # not all text: a cell at a time
    assert _column_cells(pd.Series(mixed, dtype=object), CellKind(TEXT)) == _cell_at_a_time(mixed)
