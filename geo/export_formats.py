"""File formats of exports as bytes: XLSX, CSV, RFC 7946 GeoJSON, GeoPackage, zipped Shapefile.

Every writer returns the whole file as ``bytes`` (for a download button or
``geo.files.write_atomic``), so a failed export never leaves a half-written file on disk.
"""
from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from geo.crs import round_coordinates
from geo import schema as s
from geo.errors import ExportError, GeoWarning
from geo.values import CONTROL_CHARACTERS, strip_controls

INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8-sig", "gb18030")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
SHP_FIELD_MAX = 10
SHP_TEXT_MAX_BYTES = 254

# XLSX cell kinds (``column_kind``)
TEXT, NUMBER, SHARE, BOOLEAN = "text", "number", "share", "boolean"
XLSX_TEXT_COLUMNS = (*s.TEXT_COLUMNS, "leader_id", "unit_code")  # codes and ids, always text cells
SHARE_SUFFIXES = ("_share", "_rate")  # numeric columns holding a share 0..1
SHARE_FORMAT = "0.0%"
MAX_DECIMALS = 6
NUMERIC_INFERRED = ("integer", "floating", "mixed-integer-float", "decimal")


# --- cells ------------------------------------------------------------------------------------

def neutralise(value: object) -> object:
    """Prefix text starting with ``= + - @`` (or tab/CR) with ``'`` so no spreadsheet runs it as a formula."""
    if isinstance(value, str) and value.startswith(INJECTION_PREFIXES):
        return "'" + value
    return value


def unneutralise(value: object) -> object:
    """Undo ``neutralise`` (for reading an export back)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(INJECTION_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with ``neutralise`` applied to every text (object or string) column."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].map(neutralise)
    return out


def _plain_value(value: object) -> object:
    """A numpy/pandas scalar as a plain Python value (None for missing; other objects as text)."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    return None if pd.isna(value) else str(value)


def _cell(value: object) -> object:
    """A spreadsheet cell: ``_plain_value``, neutralised against formula injection."""
    return neutralise(_plain_value(value))


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet (CJK and full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- XLSX -------------------------------------------------------------------------------------

def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, unique Excel sheet names: forbidden ``[]:*?/\\`` replaced, at most 31 characters."""
    out: list[str] = []
    used: set[str] = set()
    for raw in names:
        base = _BAD_SHEET_CHARS.sub("_", strip_controls(str(raw))).strip("'").strip() or "Sheet"
        if base.lower() == "history":  # reserved by Excel
            base = f"{base}_"
        name = base[:SHEET_NAME_MAX]
        n = 2
        while name.lower() in used:
            suffix = f"~{n}"
            name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
            n += 1
        used.add(name.lower())
        out.append(name)
    return out


@dataclass(frozen=True)
class CellKind:
    """How the cells of one XLSX column are written: as text, or as numbers with a number format."""

    kind: str  # TEXT, NUMBER, SHARE or BOOLEAN
    decimals: int = 0  # NUMBER: decimals shown (0 = integers, written as int)

    @property
    def number_format(self) -> str:
        """The Excel number format of the column's cells."""
        if self.kind == TEXT:
            return "@"
        if self.kind == SHARE:
            return SHARE_FORMAT
        if self.kind == NUMBER:
            return "#,##0" + ("." + "0" * self.decimals if self.decimals else "")
        return "General"


def column_kind(name: object, values: pd.Series, *, text_columns: Collection[object] = ()) -> CellKind:
    """The one rule for an XLSX column's cells, by the internal column name and the values.

    - text: codes and ids (``XLSX_TEXT_COLUMNS``: 12-16 digit codes keep every digit and
      leading zero, never a float), ``text_columns``, and any column that is not all numbers;
    - share: numeric columns named ``*_share`` / ``*_rate`` (values 0..1, shown ``0.0%``);
    - number: other numeric columns, shown with thousands separators and the decimals the
      values need (at most ``MAX_DECIMALS``; integers are written as integers);
    - boolean: true/false columns.
    """
    if name in XLSX_TEXT_COLUMNS or name in text_columns:
        return CellKind(TEXT)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "boolean":
        return CellKind(BOOLEAN)
    if inferred not in NUMERIC_INFERRED:
        return CellKind(TEXT)
    if str(name).endswith(SHARE_SUFFIXES):
        return CellKind(SHARE)
    finite = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    decimals = next((d for d in range(MAX_DECIMALS) if np.allclose(finite, np.round(finite, d), rtol=0,
                                                                    atol=10.0 ** -(MAX_DECIMALS + 2))),
                    MAX_DECIMALS)
    return CellKind(NUMBER, decimals)


def _without_controls(values: list[object]) -> tuple[list[object], int]:
    """``values`` with control characters removed from text (Excel refuses them); how many changed."""
    changed = 0
    out = []
    for v in values:
        if isinstance(v, str) and CONTROL_CHARACTERS.search(v):
            v = strip_controls(v)
            changed += 1
        out.append(v)
    return out, changed


def _note_removed(removed: int, notes: list[GeoWarning] | None) -> None:
    """Tell the planner that ``removed`` cells lost control characters: into ``notes``, else a warning."""
    if not removed:
        return
    msg = f"control characters removed from {removed} cells"
    note = GeoWarning(msg, code="export.control_chars_removed", n=removed)
    if notes is None:
        warnings.warn(note, stacklevel=3)
    else:
        notes.append(note)


def _text_cell(value: object) -> str | None:
    """One cell of a text column: None when missing, whole floats without ``.0``, neutralised."""
    plain = _plain_value(value)
    if plain is None:
        return None
    if isinstance(plain, float) and plain.is_integer():
        plain = int(plain)
    return neutralise(str(plain))


def _text_cells(values: pd.Series) -> tuple[np.ndarray, list[str], int]:
    """A text column's cells as codes into its distinct cells (-1: empty), the distinct cells, how many lost controls.

    Text is neutralised against formula injection, control characters removed (and ``\r`` line
    breaks written as ``\n``, as XML reading does), once per distinct text when the column holds
    only text and missing values (the common case), else a cell at a time (``_text_cell``).
    """
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        texts: list[str] = ["'" + v if v.startswith(INJECTION_PREFIXES) else v for v in distinct.tolist()]
        codes = np.asarray(codes)
    else:
        cells = [_text_cell(v) for v in values.tolist()]
        codes, distinct = pd.factorize(np.array(cells, dtype=object), use_na_sentinel=True)
        texts = distinct.tolist()
    removed = 0
    joined = "\n".join(texts)
    if CONTROL_CHARACTERS.search(joined):
        changed = np.array([bool(CONTROL_CHARACTERS.search(v)) for v in texts], dtype=bool)
        texts = [strip_controls(v) if c else v for v, c in zip(texts, changed.tolist())]
        removed = int(np.bincount(codes[codes >= 0], minlength=len(texts))[changed].sum())
    if "\r" in joined:  # XlsxWriter would write _x000D_
        texts = [v.replace("\r\n", "\n").replace("\r", "\n") for v in texts]
    return codes, texts, removed


def _column_cells(values: pd.Series, kind: CellKind) -> tuple[list[object], int]:
    """The cells of one column as plain Python values (None = empty cell), a whole column at a time.

    Text as ``_text_cells`` writes it; integers of a ``#,##0`` column are ``int``. Returns the
    cells and how many of them lost control characters.
    """
    if kind.kind == TEXT:
        codes, texts, removed = _text_cells(values)
        return [None if c < 0 else texts[c] for c in codes.tolist()], removed
    if kind.kind == BOOLEAN:
        return [None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else bool(v)
                for v in values.tolist()], 0
    if kind.kind == NUMBER and kind.decimals == 0:
        whole, missing = _whole_numbers(values)
        return [None if m else v for v, m in zip(whole.tolist(), missing.tolist())], 0
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = ~np.isfinite(numbers)
    return [None if m else v for v, m in zip(numbers.tolist(), missing.tolist())], 0


def _whole_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a ``#,##0`` column as int64 (rounded) and where they are empty (missing or not finite)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = ~np.isfinite(numbers)
    return np.rint(np.where(missing, 0, numbers)).astype(np.int64), missing


WIDTH_MEASURED = 58  # columns are at most 60 characters wide (the widest cell + 2): wider is not measured


def _column_width(head: str, cells: list[object]) -> int:
    """Display width of a column: its widest cell or header, at most ``WIDTH_MEASURED``.

    Cells are measured by decreasing upper bound of their width (characters plus half the
    extra UTF-8 bytes: a wide character takes 3 or 4; for all distinct cells at once, by Arrow),
    and only while one could still be wider than the widest so far (a column of codes or of
    Chinese names takes one or two), each only up to ``WIDTH_MEASURED`` characters.
    """
    widest = min(display_width(head[:WIDTH_MEASURED]), WIDTH_MEASURED)
    texts = list({str(c) for c in cells if c is not None})
    if not texts:
        return widest
    arrow = pa.array(texts, type=pa.string())
    chars = pc.utf8_length(arrow).to_numpy(zero_copy_only=False)
    bounds = chars + (pc.binary_length(arrow).to_numpy(zero_copy_only=False) - chars) // 2
    for i in np.argsort(-bounds, kind="stable"):
        if bounds[i] <= widest or widest >= WIDTH_MEASURED:
            break
        widest = max(widest, min(display_width(texts[i][:WIDTH_MEASURED]), WIDTH_MEASURED))
    return int(widest)


_BUILTIN_NUMBER_FORMATS = {"General": 0, "#,##0": 3, "#,##0.00": 4, "@": 49}  # Excel's own ids
_FIRST_CUSTOM_FORMAT = 164
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # text Excel would read as an escape: its "_" escaped
XLSX_MAX_TEXT = 32767  # characters of one cell (Excel's limit)
_MAX_DIGIT_PX, _CELL_PADDING_PX = 7, 5  # Calibri 11: how Excel turns a width in characters into pixels
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;").replace("\n", "&#xA;")


def _column_letters(n: int) -> list[str]:
    """``A``, ``B``, … the letters of the first ``n`` columns."""
    out = []
    for i in range(1, n + 1):
        letters = ""
        while i:
            i, rest = divmod(i - 1, 26)
            letters = chr(65 + rest) + letters
        out.append(letters)
    return out


class _Styles:
    """One cell format (``xf``) per number format; xf 0 is Excel's default (General)."""

    def __init__(self) -> None:
        self.formats: list[str] = ["General"]

    def xf(self, number_format: str) -> int:
        if number_format not in self.formats:
            self.formats.append(number_format)
        return self.formats.index(number_format)

    def xml(self) -> str:
        custom = [f for f in dict.fromkeys(self.formats) if f not in _BUILTIN_NUMBER_FORMATS]
        ids = {**_BUILTIN_NUMBER_FORMATS, **{f: _FIRST_CUSTOM_FORMAT + i for i, f in enumerate(custom)}}
        num_fmts = "".join(f'<numFmt numFmtId="{ids[f]}" formatCode="{_xml_attribute(f)}"/>' for f in custom)
        xfs = "".join(f'<xf numFmtId="{ids[f]}" fontId="0" fillId="0" borderId="0" xfId="0"'
                      + (' applyNumberFormat="1"/>' if ids[f] else "/>") for f in self.formats)
        return (f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
                + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
                + '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(self.formats)}">{xfs}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


class _SharedStrings:
    """The workbook's shared string table: each distinct text stored once, cells hold its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0  # cells referring to the table

    def add(self, text: str) -> int:
        self.count += 1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.index)
        return i

    def add_distinct(self, texts: list[str], *, cells: int) -> np.ndarray:
        """The indexes of ``texts`` (distinct, in order of first use) for ``cells`` cells that refer to them."""
        self.count += cells
        index = self.index
        return np.fromiter((index.setdefault(text, len(index)) for text in texts), dtype=np.int64, count=len(texts))

    def xml(self) -> str:
        texts = [text[:XLSX_MAX_TEXT] for text in self.index]
        # one pass over all the texts joined by NUL (never in a cell: control characters are removed)
        joined = _ESCAPE_LIKE.sub(r"_x005F\1", "\x00".join(texts)).replace("\ufffe", "_xFFFE_").replace(
            "\uffff", "_xFFFF_")
        escaped = _xml_text(joined).split("\x00") if texts else []
        keep = ' xml:space="preserve"'
        items = "".join([f"<si><t{keep if text[:1].isspace() or text[-1:].isspace() else ''}>{item}</t></si>"
                         for text, item in zip(texts, escaped)])
        return (f'{_XML_HEAD}<sst xmlns="{_MAIN_NS}" count="{self.count}" uniqueCount="{len(self.index)}">'
                + items + "</sst>")


_EXACT_INTEGER = 10**15  # integers below this write the same digits as ``f"{v:.16G}"`` (XlsxWriter's format)


def _cells_xml(values: Any, kind: CellKind, letter: str, xf: int, strings: _SharedStrings,
               rows: pa.Array) -> tuple[pa.Array, list[object]]:
    """The ``<c>`` elements of one column's cells (rows 2…; "" for an empty cell) and its distinct values.

    ``values``: ``(codes, distinct texts)`` of ``_text_cells`` for a text column, ``(int64, empty)``
    of ``_whole_numbers`` for a ``#,##0`` column, else the ``_column_cells``.

    One writer per kind: text as shared strings, booleans as booleans, everything else as numbers
    (``f"{v:.16G}"``, as XlsxWriter writes them). The elements are joined by Arrow a column at a
    time (``rows``: the row numbers as text); Python touches only the distinct texts and the
    digits of non-integer numbers.
    """
    if kind.kind == TEXT:
        codes, unique = values  # ``_text_cells``: codes into the distinct texts
        ids = strings.add_distinct(unique, cells=int((codes >= 0).sum()))
        digits = pa.array(np.where(codes >= 0, ids[codes] if len(ids) else 0, 0)).cast(pa.string())
        cell_type, missing = ' t="s"', codes < 0
    elif isinstance(values, tuple):  # ``_whole_numbers``: int64 and where empty
        whole, missing = values
        shown = whole[~missing]
        if len(shown) and np.abs(shown.astype(float)).max() >= _EXACT_INTEGER:  # float: |int64 min| overflows
            digits = pa.array(["" if m else f"{v:.16G}" for v, m in zip(whole.tolist(), missing.tolist())],
                              type=pa.string())
        else:
            digits = pa.array(whole).cast(pa.string())
        cell_type, unique = "", np.unique(shown).tolist()
    else:
        missing = np.array([v is None for v in values], dtype=bool)
        present = [v for v in values if v is not None]
        if kind.kind == BOOLEAN:
            digits = pa.array(np.array([bool(v) for v in values], dtype=np.int64)).cast(pa.string())
            cell_type, unique = ' t="b"', []
        else:
            numbers = np.zeros(len(values), dtype=np.int64)
            if all(type(v) is int for v in present) and all(-_EXACT_INTEGER < v < _EXACT_INTEGER for v in present):
                numbers[~missing] = present
                digits = pa.array(numbers).cast(pa.string())
            else:
                digits = pa.array(["" if v is None else f"{v:.16G}" for v in values], type=pa.string())
            cell_type, unique = "", list(dict.fromkeys(present))
    cells = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{xf}"{cell_type}><v>', digits, "</v></c>", "")
    return pc.if_else(pa.array(missing), "", cells), unique


def _sheet_xml(df: pd.DataFrame, *, headers: Mapping[object, str], text_columns: Collection[object],
               styles: _Styles, strings: _SharedStrings, first: bool) -> tuple[str, int]:
    """One worksheet: widths and frozen header, then typed rows, built a column at a time.

    Every cell is written as what its column is (``column_kind``: text, number or boolean), so no
    text is ever read as a formula, a number or a URL; each column's number format is set on the
    column and on its cells. Returns the sheet's XML and how many cells (headers included) had
    control characters removed.
    """
    kinds = [column_kind(c, df.iloc[:, i], text_columns=text_columns) for i, c in enumerate(df.columns)]
    shown, removed = _without_controls([neutralise(str(headers.get(c, c))) for c in df.columns])
    letters = _column_letters(len(df.columns))
    head_xf = styles.xf("@")
    numbers = pa.array(np.arange(2, len(df) + 2)).cast(pa.string())
    widths, header, columns = [], [], []
    for col, (kind, head, letter) in enumerate(zip(kinds, shown, letters)):
        if kind.kind == TEXT:
            codes, texts, changed = _text_cells(df.iloc[:, col])
            values: Any = (codes, texts)
        elif kind.kind == NUMBER and kind.decimals == 0:
            values, changed = _whole_numbers(df.iloc[:, col]), 0
        else:
            values, changed = _column_cells(df.iloc[:, col], kind)
        removed += changed
        xf = styles.xf(kind.number_format)
        header.append(f'<c r="{letter}1" s="{head_xf}" t="s"><v>{strings.add(str(head))}</v></c>')
        cells, distinct = _cells_xml(values, kind, letter, xf, strings, numbers)
        columns.append(cells)
        px = int(min(max(_column_width(str(head), distinct) + 2, 6), 60) * _MAX_DIGIT_PX + 0.5) + _CELL_PADDING_PX
        widths.append(f'<col min="{col + 1}" max="{col + 1}" width="{(px * 256 // _MAX_DIGIT_PX) / 256.0:.16g}" '
                      f'style="{xf}" customWidth="1"/>')
    rows = f'<row r="1">{"".join(header)}</row>' if header else ""
    if columns and len(df):
        rows += "".join(pc.binary_join_element_wise('<row r="', numbers, '">', *columns, "</row>", "").to_pylist())
    last = f"{letters[-1]}{len(df) + 1}" if letters else "A1"
    xml = (f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1:{last}"/>'
           f'<sheetViews><sheetView{" tabSelected=" + chr(34) + "1" + chr(34) if first else ""} workbookViewId="0">'
           '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/>'
           + (f"<cols>{''.join(widths)}</cols>" if widths else "")
           + f"<sheetData>{rows}</sheetData>"
           '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    return xml, removed


def _package(sheets: list[tuple[str, str]], styles: _Styles, strings: _SharedStrings) -> bytes:
    """The XLSX zip: content types, relationships, workbook, styles, shared strings, ``(name, xml)`` sheets."""
    n = len(sheets)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}worksheet+xml"/>'
                        for i in range(1, n + 1))
    parts = {
        "[Content_Types].xml": (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}sheet.main+xml"/>{overrides}'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}sharedStrings+xml"/></Types>'),
        "_rels/.rels": (f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
                        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
            "<sheets>" + "".join(f'<sheet name="{_xml_attribute(name)}" sheetId="{i}" r:id="rId{i}"/>'
                                 for i, (name, _xml) in enumerate(sheets, start=1)) + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"),
        "xl/styles.xml": styles.xml(),
        "xl/sharedStrings.xml": strings.xml(),
        **{f"xl/worksheets/sheet{i}.xml": xml for i, (_name, xml) in enumerate(sheets, start=1)},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_ZIP_LEVEL) as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml.encode("utf-8"))
    return buf.getvalue()


XLSX_ZIP_LEVEL = 1  # zlib's fastest: the demo's workbook 0.93 MB instead of 0.77 MB, in a third of the time


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, headers: Mapping[object, str] | None = None,
                  text_columns: Collection[object] = (), metadata: Mapping[str, str] | None = None,
                  metadata_title: str = "metadata",
                  metadata_headers: tuple[str, str] = ("key", "value"),
                  notes: list[GeoWarning] | None = None) -> bytes:
    """An XLSX workbook: one sheet per item of ``sheets`` (names sanitised), plus a metadata sheet.

    ``sheets`` keep their internal column names; ``headers`` maps them to the shown headers
    (columns not in it are shown as named). Every column's cells are typed by ``column_kind``:
    codes and ids are text cells, counts and households numbers, shares percentages; only text
    cells are neutralised against formula injection. Header row frozen, column widths fitted.
    Control characters (NUL, form feed, bidi overrides…) are removed from text cells, with a
    :class:`GeoWarning` ``export.control_chars_removed`` saying how many cells changed, appended
    to ``notes`` when given (thread-safe, for the app), else issued with ``warnings.warn``.

    The package (SpreadsheetML parts, shared strings) is written here a column at a time, with
    no cell objects: each distinct text is converted once, a column's ``<c>`` elements and the
    rows are joined by Arrow compute, the zip is deflated at level 1; the demo's main workbook
    (about 137,000 cells) in about 0.16 CPU-s (XlsxWriter, one cell per call, took several
    times that). openpyxl reads workbooks.
    """
    styles, strings = _Styles(), _SharedStrings()
    removed = 0
    parts: list[tuple[str, str]] = []
    titles = [*sheets, metadata_title] if metadata is not None else list(sheets)
    for i, (title, df) in enumerate(zip(sheet_names(titles), [*sheets.values(), None])):
        if df is None:
            df = pd.DataFrame({metadata_headers[0]: list(metadata), metadata_headers[1]: list(metadata.values())})
            xml, changed = _sheet_xml(df, headers={}, text_columns=metadata_headers, styles=styles,
                                      strings=strings, first=i == 0)
        else:
            xml, changed = _sheet_xml(df, headers=headers or {}, text_columns=text_columns, styles=styles,
                                      strings=strings, first=i == 0)
        removed += changed
        parts.append((title, xml))
    _note_removed(removed, notes)
    if not parts:  # a workbook has at least one sheet
        parts.append(("Sheet1", _sheet_xml(pd.DataFrame(), headers={}, text_columns=(), styles=styles,
                                           strings=strings, first=True)[0]))
    return _package(parts, styles, strings)


# --- CSV --------------------------------------------------------------------------------------

def to_csv_bytes(df: pd.DataFrame, *, encoding: str = "utf-8-sig", notes: list[GeoWarning] | None = None) -> bytes:
    """CSV text in UTF-8 with BOM (Excel on Chinese Windows) or GB18030; cells neutralised.

    Control characters are removed from text cells as in ``to_xlsx_bytes`` (a NUL or a bidi
    override in a CSV breaks the spreadsheet that opens it), with the same
    ``export.control_chars_removed`` note appended to ``notes`` (or warned).

    Raises
    ------
    ExportError
        Code ``export.bad_encoding`` for any other encoding.
    """
    if encoding.lower().replace("_", "-") not in ENCODINGS:
        msg = f"unsupported CSV encoding {encoding!r}"
        raise ExportError(msg, code="export.bad_encoding", encoding=encoding)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    header, removed = _without_controls([str(c) for c in df.columns])
    writer.writerow(header)
    for row in df.itertuples(index=False, name=None):
        cells, changed = _without_controls(["" if (c := _cell(v)) is None else c for v in row])
        removed += changed
        writer.writerow(cells)
    _note_removed(removed, notes)
    return buf.getvalue().encode(encoding.lower().replace("_", "-"))


# --- GeoJSON ----------------------------------------------------------------------------------

def orient_rfc7946(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with polygon exteriors counter-clockwise and holes clockwise (RFC 7946 right-hand rule)."""
    return gdf.set_geometry(shapely.orient_polygons(gdf.geometry.values, exterior_cw=False), crs=gdf.crs)


def to_geojson_bytes(gdf: gpd.GeoDataFrame, *, precision: int = 7,
                     foreign_members: Mapping[str, Any] | None = None) -> bytes:
    """RFC 7946 GeoJSON of a lon/lat ``gdf``: no ``crs`` member, CCW exteriors, UTF-8, no ids.

    ``gdf`` must be in a geographic lon/lat CRS (WGS 84, or GCJ-02 coordinates labelled as such
    by the caller). ``precision`` decimals of a degree (7 = about 1 cm).
    """
    rounded = round_coordinates(gdf.geometry.values, decimals=precision)
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)  # after rounding, which may re-node
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    features = []
    for geom, row in zip(oriented, props.itertuples(index=False, name=None)):
        features.append({"type": "Feature",
                         "properties": {str(k): _plain_value(v) for k, v in zip(props.columns, row)},
                         "geometry": None if geom is None or geom.is_empty else json.loads(shapely.to_geojson(geom))})
    collection: dict[str, Any] = {"type": "FeatureCollection", **dict(foreign_members or {}), "features": features}
    if len(gdf):
        collection["bbox"] = [round(float(v), precision) for v in shapely.total_bounds(oriented)]
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --- GeoPackage and Shapefile ------------------------------------------------------------------

def _for_ogr(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def to_gpkg_bytes(layers: Mapping[str, pd.DataFrame], *, metadata: Mapping[str, str] | None = None) -> bytes:
    """A GeoPackage with one layer per item (GeoDataFrames as spatial layers, DataFrames as tables).

    ``metadata`` is written as table ``export_meta`` (key, value) and as dataset metadata.
    """
    with tempfile.TemporaryDirectory(prefix="gridatlas-export-") as tmp:
        path = Path(tmp) / "bundle.gpkg"
        for name, df in layers.items():
            if isinstance(df, gpd.GeoDataFrame):
                pyogrio.write_dataframe(_for_ogr(df), path, layer=name, driver="GPKG", promote_to_multi=True)
            else:
                pyogrio.write_dataframe(_for_ogr(pd.DataFrame(df)), path, layer=name, driver="GPKG")
        if metadata is not None:
            meta_df = pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})
            pyogrio.write_dataframe(meta_df, path, layer="export_meta", driver="GPKG",
                                    dataset_metadata={k: str(v) for k, v in metadata.items()})
        return path.read_bytes()


def shp_field_names(columns: Sequence[str]) -> dict[str, str]:
    """Map internal column names to unique ASCII Shapefile field names of at most 10 characters."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = re.sub(r"[^0-9A-Za-z_]", "_", col)[:SHP_FIELD_MAX] or "field"
        name = base
        n = 1
        while name.upper() in used:
            suffix = str(n)
            name = base[:SHP_FIELD_MAX - len(suffix)] + suffix
            n += 1
        used.add(name.upper())
        out[col] = name
    return out


def _truncate_utf8(value: object) -> object:
    if not isinstance(value, str) or len(value.encode("utf-8")) <= SHP_TEXT_MAX_BYTES:
        return value
    data = value.encode("utf-8")[:SHP_TEXT_MAX_BYTES - 3]
    return data.decode("utf-8", errors="ignore") + "…"


def to_shapefile_zip_bytes(layers: Mapping[str, gpd.GeoDataFrame], *,
                           extra_files: Mapping[str, bytes] | None = None) -> tuple[bytes, pd.DataFrame]:
    """A zip with one UTF-8 Shapefile (``.shp .shx .dbf .prj .cpg``) per layer and ``extra_files``.

    Field names are shortened with ``shp_field_names``; text longer than 254 bytes is cut
    with "…" (the dBASE limit). Returns the zip bytes and the field mapping
    DataFrame[layer, field, column].
    """
    mapping_rows = []
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gridatlas-shp-") as tmp, \
            zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, gdf in layers.items():
            fields = shp_field_names([c for c in gdf.columns if c != gdf.geometry.name])
            mapping_rows += [{"layer": name, "field": f, "column": c} for c, f in fields.items()]
            out = _for_ogr(gdf.rename(columns=fields))
            for col in fields.values():
                out[col] = out[col].map(_truncate_utf8)
            path = Path(tmp) / f"{name}.shp"
            pyogrio.write_dataframe(out, path, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=True)
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                part = path.with_suffix(ext)
                if ext == ".cpg" and not part.exists():
                    part.write_text("UTF-8", encoding="ascii")
                if part.exists():
                    zf.write(part, arcname=part.name)
        for arcname, data in (extra_files or {}).items():
            zf.writestr(arcname, data)
    return buf.getvalue(), pd.DataFrame(mapping_rows, columns=["layer", "field", "column"])


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip archive of ``files`` (archive name -> content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)
    return buf.getvalue()
