"""Office spreadsheets (XLSX, CSV) as offices make them: title rows, merged two-row headers, 序号, 合计 rows.

``read_workbook`` reads every sheet of a file and returns, per sheet, a frame of text cells
whose index is the row number the planner sees in Excel (or the CSV line number), plus
what was skipped and why: title and blank rows, 合计/小计 rows, the 序号 column, sheets
of notes (说明). Cells stay text: numeric phone cells become ``"17000008980"``, never
``1.7e10`` or ``"17000008980.0"``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.errors import EmptyLayerError, GeoInputError, UnsupportedFormatError

SERIAL_HEADERS = ("序号", "序", "no", "no.", "#", "编号序号")
TOTAL_MARKERS = ("合计", "小计", "总计", "共计", "total", "subtotal")
NOTE_SHEETS = ("说明", "填表说明", "备注", "注意事项", "readme", "notes")

# reasons (messages "sheets.skip.<reason>")
SKIP_TITLE = "title"
SKIP_BLANK = "blank"
SKIP_TOTAL = "total"
SKIP_NOTES = "notes"
SKIP_EMPTY = "empty"
SKIP_NO_HEADER = "no_header"

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Sheet:
    """One sheet read as a table of text cells.

    ``frame`` has one column per header (flattened: 基本信息/姓名 -> 姓名) and its index is
    the row number a planner sees (Excel row, CSV line). ``serials`` maps that row number to
    the 序号 cell. ``skipped_rows`` maps row numbers to a reason (title, blank, total).
    """

    name: str
    frame: pd.DataFrame
    header_rows: tuple[int, ...]
    serials: dict[int, str] = field(default_factory=dict)
    skipped_rows: dict[int, str] = field(default_factory=dict)

    @property
    def first_data_row(self) -> int:
        """The row number of the first data row (0 when there is none)."""
        return int(self.frame.index[0]) if len(self.frame) else 0


@dataclass(frozen=True)
class Workbook:
    """Every sheet of a file: the tables read, and the sheets skipped with their reason."""

    file: str
    sheets: list[Sheet]
    skipped_sheets: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None

    def sheet(self, name: str | None = None) -> Sheet:
        """The sheet ``name``, or the first table when ``name`` is None.

        Raises
        ------
        GeoInputError
            ``sheets.no_table`` when no sheet holds a table, ``sheets.unknown_sheet`` for an unknown name.
        """
        if name is None:
            if not self.sheets:
                msg = f"{self.file}: no sheet holds a table"
                raise EmptyLayerError(msg, code="sheets.no_table", file=self.file,
                                      skipped=[f"{k} ({v})" for k, v in self.skipped_sheets.items()])
            return self.sheets[0]
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        msg = f"{self.file}: no table sheet {name!r}"
        raise GeoInputError(msg, code="sheets.unknown_sheet", file=self.file, sheet=name,
                            sheets=[s.name for s in self.sheets])


# --- cells ---------------------------------------------------------------------------------

def cell_text(value: object) -> str | None:
    """A cell as text: numbers without ``.0``, dates as ISO, whitespace trimmed; blank -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\u3000", " ").strip()
    return text or None


def _norm(header: str | None) -> str:
    return _SPACE.sub("", header or "").lower()


def is_total_row(cells: list[str | None]) -> bool:
    """True when the row's first two non-blank cells include 合计/小计/总计 (a sum row, not a record)."""
    filled = [c for c in cells if c][:2]
    return any(_norm(c).rstrip(":：") in TOTAL_MARKERS for c in filled)


# --- header detection ----------------------------------------------------------------------

def _filled(row: list[str | None]) -> set[int]:
    return {i for i, c in enumerate(row) if c}


def _find_header(rows: list[list[str | None]]) -> int | None:
    """Index of the first row with at least two filled cells (rows above it are titles or blank)."""
    for i, row in enumerate(rows):
        if len(_filled(row)) >= 2:
            return i
    return None


def _is_second_header(top: list[str | None], below: list[str | None], vertical: set[int]) -> bool:
    """True when ``below`` continues a two-row header: it fills gaps of ``top`` and leaves its stand-alone columns.

    ``vertical`` holds the columns whose ``top`` cell is merged downwards (序号 over two rows).
    """
    top_filled, below_filled = _filled(top), _filled(below)
    if not below_filled:
        return False
    gaps = set(range(len(top))) - top_filled
    if vertical:
        return not (below_filled & vertical)
    return bool(below_filled & gaps) and bool(top_filled - below_filled)


def _flatten(top: list[str | None], below: list[str | None] | None) -> list[str | None]:
    """One name per column: the lower header when present, else the upper (基本信息/姓名 -> 姓名)."""
    if below is None:
        return list(top)
    names = [b or t for t, b in zip(top, below)]
    seen: dict[str, int] = {}
    for n in names:
        if n:
            seen[n] = seen.get(n, 0) + 1
    group = None
    out = []
    for t, b in zip(top, below):
        group = t or group
        name = b or t
        if name and seen[name] > 1 and b and group:
            name = f"{group}/{b}"  # the same sub-header under two groups: keep them apart
        out.append(name)
    return out


def _unmerge_header(rows: list[list[str | None]], merges: list[tuple[int, int, int, int]],
                    header: int) -> tuple[list[list[str | None]], set[int]]:
    """Copy the value of a header cell merged downwards into the cells below it; return those columns."""
    vertical: set[int] = set()
    rows = [list(r) for r in rows]
    for r0, c0, r1, c1 in merges:
        if r0 == header and r1 > r0:
            for c in range(c0, c1 + 1):
                vertical.add(c)
                for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
                    rows[r][c] = None  # the value stays on the upper row; the lower row is "no sub-header"
    return rows, vertical


def table_from_rows(rows: list[list[object]], *, name: str, first_row: int = 1,
                    merges: list[tuple[int, int, int, int]] | None = None) -> Sheet | None:
    """Find the header under any title rows and return the data as a ``Sheet`` (None when there is no table).

    Parameters
    ----------
    rows
        Cell values row by row (the sheet as read).
    first_row
        The row number a planner sees for ``rows[0]`` (1 for Excel and CSV).
    merges
        Merged ranges as 0-based ``(row0, col0, row1, col1)`` inclusive (XLSX only).
    """
    width = max((len(r) for r in rows), default=0)
    cells = [[cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
    header = _find_header(cells)
    if header is None:
        return None
    cells, vertical = _unmerge_header(cells, merges or [], header)
    top = cells[header]
    below = cells[header + 1] if header + 1 < len(cells) else None
    two_rows = below is not None and _is_second_header(top, below, vertical)
    names = _flatten(top, below if two_rows else None)
    start = header + (2 if two_rows else 1)
    skipped = {first_row + i: (SKIP_BLANK if not any(r) else SKIP_TITLE) for i, r in enumerate(cells[:header])}
    header_rows = tuple(first_row + i for i in range(header, start))
    keep_cols = [i for i, n in enumerate(names) if n]
    serial_col = next((i for i in keep_cols if _norm(names[i]) in SERIAL_HEADERS), None)
    records, index, serials = [], [], {}
    for i, row in enumerate(cells[start:], start=start):
        row_no = first_row + i
        if not any(row):
            skipped[row_no] = SKIP_BLANK
        elif is_total_row(row):
            skipped[row_no] = SKIP_TOTAL
        else:
            records.append([row[c] for c in keep_cols if c != serial_col])
            index.append(row_no)
            if serial_col is not None and row[serial_col]:
                serials[row_no] = row[serial_col]
    columns = [str(names[c]) for c in keep_cols if c != serial_col]
    frame = pd.DataFrame(records, columns=columns, index=pd.Index(index, name="row"), dtype=object)
    return Sheet(name=name, frame=frame, header_rows=header_rows, serials=serials, skipped_rows=skipped)


# --- files -----------------------------------------------------------------------------------

def decode_text(data: bytes, *, encoding: str | None = None, label: str = "") -> tuple[str, str]:
    """Decode a text file: declared encoding, else UTF-8 (with or without BOM), else GB18030.

    GB18030 is a superset of GBK and GB2312, so files saved as "ANSI" by Chinese Excel decode too.
    Returns the text and the encoding used (``UTF-8-BOM``, ``UTF-8``, ``GB18030`` or the declared one).

    Raises
    ------
    GeoInputError
        ``io.bad_encoding`` when the bytes are not in the declared (or any detected) encoding.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{label} is not {encoding}"
            raise GeoInputError(msg, code="io.bad_encoding", file=label, encoding=encoding) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8-BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        msg = f"{label} is neither UTF-8 nor GB18030"
        raise GeoInputError(msg, code="io.bad_encoding", file=label, encoding="UTF-8/GB18030") from exc


def _csv_rows(text: str) -> list[list[str]]:
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|，")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _is_notes(name: str, sheet: Sheet | None) -> bool:
    if _norm(name) in NOTE_SHEETS:
        return True
    return sheet is not None and len(sheet.frame.columns) < 2


def read_workbook(path: str | Path, *, encoding: str | None = None, label: str | None = None) -> Workbook:
    """Read every sheet of an XLSX file (or the one table of a CSV) as text tables.

    Raises
    ------
    UnsupportedFormatError
        The file is not a readable XLSX/CSV.
    GeoInputError
        ``io.bad_encoding`` for a CSV in an unknown encoding.
    """
    path = Path(path)
    label = label or path.name
    if path.suffix.lower() in (".csv", ".txt"):
        text, used = decode_text(path.read_bytes(), encoding=encoding, label=label)
        sheet = table_from_rows(_csv_rows(text), name=path.stem)
        if sheet is None:
            return Workbook(label, [], {path.stem: SKIP_EMPTY}, encoding=used)
        return Workbook(label, [sheet], {}, encoding=used)
    return _read_xlsx(path, label=label)


def _read_xlsx(path: Path, *, label: str) -> Workbook:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        msg = f"{label}: {exc}"
        raise UnsupportedFormatError(msg, file=label, detail=str(exc)[:200]) from exc
    sheets, skipped = [], {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if not any(any(cell_text(v) for v in r) for r in rows):
            skipped[ws.title] = SKIP_EMPTY
            continue
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        sheet = table_from_rows(rows, name=ws.title, merges=merges)
        if _is_notes(ws.title, sheet):
            skipped[ws.title] = SKIP_NOTES
        elif sheet is None or sheet.frame.empty:
            skipped[ws.title] = SKIP_NO_HEADER if sheet is None else SKIP_EMPTY
        else:
            sheets.append(sheet)
    wb.close()
    return Workbook(label, sheets, skipped)
